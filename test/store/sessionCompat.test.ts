import { describe, expectTypeOf, it } from 'vitest';
import type { StreamSessionSnapshot } from '../../src/core/createStreamSession';
import type { SessionSnapshotLike } from '../../src/store';

describe('SessionSnapshotLike', () => {
  it("accepts the core session's snapshot (checked by tsc)", () => {
    expectTypeOf<StreamSessionSnapshot>().toExtend<SessionSnapshotLike>();
  });
});
