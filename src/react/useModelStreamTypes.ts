import type { AccumulatedToolCall } from '../core/accumulator';
import type { StopResult } from '../core/createStreamSession';
import type { Usage } from '../core/types';
import type { Message } from '../store/types';
import type { ModelStreamStatus, TurnOptions } from '../turns/types';
import type { StopOptions } from './ModelStreamProvider';

// The hook's public types, apart from the hook so that its file holds only its lifetime in React.
// The options are the turn options (src/turns/types.ts, documented there): the hook passes them on whole.
export type { ModelStreamStatus, RequestBodyContext, StreamEndReason, Tool, ToolContext, ToolExecute, Tools } from '../turns/types';

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
  /** The stream's status, or `tools` while a tool run is between its streams (docs/tools.md): Stop ends the run. */
  status: ModelStreamStatus;
  text: string;
  reasoning: string;
  toolCalls: readonly AccumulatedToolCall[];
  usage: Usage | null;
  /** The assistant message of the current (or last) stream, in the store's `Message` shape; `null` before the first start. */
  message: Message | null;
  error: Error | null;
  streamId: string | null;
  responseId: string | null;
  /**
   * Gives the result of a tool call the run does not run itself (a tool not in `tools`), or of any
   * call of the current step without one; once every call has a result the next step starts.
   * `result` is stored (JSON-serializable). A no-op for a call that has a result, or after the run.
   *
   * @example
   * ```ts
   * chat.addToolResult(call.id, { confirmed: window.confirm(String(call.args)) });
   * ```
   */
  addToolResult: (toolCallId: string, result: unknown) => void;
  /**
   * Gives a failure as the result of such a call (a UI tool the user could not use, a native call
   * that threw): stored `{ state: 'error', error }`, as a tool of `tools` that throws, and sent as an
   * error result (Anthropic `is_error: true`; the other formats "Error: …"). An `Error` gives its
   * `message`, anything else its `String()`. A no-op where `addToolResult` is one.
   *
   * @example
   * ```ts
   * try {
   *   chat.addToolResult(call.id, await takePhoto());
   * } catch (error) {
   *   chat.addToolError(call.id, error); // e.g. "Camera permission denied"
   * }
   * ```
   */
  addToolError: (toolCallId: string, error: unknown) => void;
  /**
   * Runs a call awaiting approval (`execution.state === 'awaiting-approval'`).
   *
   * @example
   * ```tsx
   * <button onClick={() => chat.approveToolCall(call.id)}>Allow</button>
   * ```
   */
  approveToolCall: (toolCallId: string) => void;
  /**
   * Refuses a call awaiting approval: `{ state: 'denied', reason }`, which the model reads in the next step.
   *
   * @example
   * ```tsx
   * <button onClick={() => chat.denyToolCall(call.id, 'Not this file')}>Deny</button>
   * ```
   */
  denyToolCall: (toolCallId: string, reason?: string) => void;
};
