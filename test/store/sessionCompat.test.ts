import { describe, expectTypeOf, it } from 'vitest';
import type { AccumulatedToolCall } from '../../src/core/accumulator';
import type { StreamSessionSnapshot } from '../../src/core/createStreamSession';
import type { FinishReason, Usage } from '../../src/core/types';
import type { SessionSnapshotLike } from '../../src/store';

describe('SessionSnapshotLike', () => {
  it("accepts the core session's snapshot (checked by tsc)", () => {
    expectTypeOf<StreamSessionSnapshot>().toExtend<SessionSnapshotLike>();
  });
});

describe('SessionSnapshotLike, typed from the core', () => {
  // The shape the store accepted when it declared its own structural type: no public caller breaks.
  type Before = {
    readonly status: string;
    readonly message: {
      readonly id: string | null;
      readonly text: string;
      readonly reasoning: string;
      readonly toolCalls: readonly AccumulatedToolCall[];
      readonly usage: Usage | null;
      readonly finishReason: FinishReason | null;
      readonly error?: string | null;
    };
    readonly incomplete: { reason: string; serverConfirmed?: boolean; error?: string } | null;
    readonly error?: unknown;
    readonly streamId: string;
    readonly responseId: string | null;
  };

  it('accepts exactly what the structural type accepted (checked by tsc)', () => {
    expectTypeOf<Before>().toExtend<SessionSnapshotLike>();
    expectTypeOf<SessionSnapshotLike>().toExtend<Before>();
  });
});
