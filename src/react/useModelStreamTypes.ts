import type { AccumulatedToolCall } from '../core/accumulator';
import type { StopResult, StreamStatus } from '../core/createStreamSession';
import type { Usage } from '../core/types';
import type { Message } from '../store/types';
import type { TurnOptions } from '../turns/types';
import type { StopOptions } from './ModelStreamProvider';

// The hook's public types, apart from the hook so that its file holds only its lifetime in React.
// The options are the turn options (src/turns/types.ts, documented there): the hook passes them on whole.
export type { RequestBodyContext, StreamEndReason } from '../turns/types';

/** The options of `useModelStream`: what each turn is sent with, and which lane it runs on (docs/store.md#lanes-and-turns). */
export type UseModelStreamOptions<Input = string> = TurnOptions<Input>;

export type UseModelStreamResult<Input = string> = {
  /** Starts a stream (a running one is stopped first). Resolves with the final message; never rejects. */
  start: (input: Input) => Promise<Message>;
  /**
   * The stop contract: freeze, server cancel, then local abort. Idempotent. `queryClient` runs the
   * server cancel on another client than the hook's (StopButton passes the one where it sits).
   */
  stop: (options?: StopOptions) => Promise<StopResult>;
  status: StreamStatus;
  text: string;
  reasoning: string;
  toolCalls: readonly AccumulatedToolCall[];
  usage: Usage | null;
  /** The assistant message of the current (or last) stream, in the store's `Message` shape; `null` before the first start. */
  message: Message | null;
  error: Error | null;
  streamId: string | null;
  responseId: string | null;
};
