import type { CancelUpstreamInfo } from './internal/createUpstreamCancel';
import type { StreamFinishInfo } from './internal/createFinishReporter';

export type { CancelUpstreamInfo } from './internal/createUpstreamCancel';
export { DEFAULT_CANCEL_UPSTREAM_TIMEOUT_MS } from './internal/createUpstreamCancel';
export type { StreamFinishInfo, StreamFinishReason } from './internal/createFinishReporter';

/** The options of `handleModelStream` about how a stream ends: `onFinish` and `cancelUpstream` (docs/server.md). */
export type StreamEndOptions = {
  /**
   * Runs **exactly once** per stream, on the instance that ran the upstream, when the stream is over
   * for any reason: after the upstream's last byte (so the provider's final usage chunk, e.g. OpenAI
   * Chat's after its finish, is in), at a cancel, a disconnect with `onDisconnect: 'abort'`, the end
   * of a `'continue'` stream nobody reads any more, an upstream that threw, answered non-2xx or was
   * not a `Response`, and a stream a tombstone cancelled before its upstream was called (`cancelled`,
   * empty message, usage 0/0). Not for a request refused before it was registered (`400`, `409`,
   * `503`): no stream ran. It runs after the current task, never inside the cancel or the pump.
   *
   * `info`: `reason` (see {@link StreamFinishReason}), `message` (what was decoded: text, reasoning,
   * tool calls, usage, finish reason, id; up to the cancel for a cancel), `usage` and `usageEstimated`
   * (for a cancel: what the cancel answered; otherwise the provider's final usage, else estimated;
   * `null` when the upstream never streamed), `responseId` (the provider's id, if the stream had one).
   *
   * A throw or a rejection is caught and reported (`console.error`, or the runtime's `reportError`);
   * it changes nothing for the client. Nothing waits for the returned promise.
   *
   * @example
   * ```ts
   * handleModelStream(request, {
   *   registry,
   *   upstream: (signal) => callModel(signal),
   *   onFinish: async ({ streamId, reason, message, usage, usageEstimated }) => {
   *     await db.saveAnswer({ streamId, text: message.text, toolCalls: message.toolCalls, reason });
   *     await db.addUsage(userId, usage, { estimated: usageEstimated });
   *   },
   * });
   * ```
   */
  onFinish?: (info: StreamFinishInfo) => void | Promise<void>;
  /**
   * Stops the generation at the provider, for providers that go on generating (and billing) after
   * their HTTP request is aborted, such as OpenAI background responses (`background: true`), which
   * stop only through `POST /v1/responses/{id}/cancel`. Called on a **cancel** through the cancel
   * endpoint (not on a disconnect), after `signal` was aborted, with the stream id and the
   * provider's response id as decoded so far (`null` when the cancel came before the stream
   * carried one). The cancel answer waits for it, at most `cancelUpstreamTimeoutMs`, and says
   * `"upstreamCancelled": true` when it resolved in time, `false` when it threw, rejected or took
   * longer (the answer is still `200 cancelled`: the stream was stopped). Without this option the
   * answer has no `upstreamCancelled` field.
   *
   * @example
   * ```ts
   * handleModelStream(request, {
   *   registry,
   *   upstream: (signal) => fetch('https://api.openai.com/v1/responses', { method: 'POST', signal, headers, body: JSON.stringify({ model, input, stream: true, background: true }) }),
   *   cancelUpstream: async ({ responseId }) => {
   *     if (!responseId) return;
   *     const res = await fetch(`https://api.openai.com/v1/responses/${responseId}/cancel`, { method: 'POST', headers });
   *     if (!res.ok) throw new Error(`cancel answered ${res.status}`);
   *   },
   *   cancelUpstreamTimeoutMs: 2000,
   * });
   * ```
   */
  cancelUpstream?: (info: CancelUpstreamInfo) => void | Promise<void>;
  /**
   * How long a cancel answer waits for `cancelUpstream`, in milliseconds. Default 5000; `Infinity`:
   * no bound; anything not > 0 is the default. Keep it below the client's `cancelTimeoutMs` (3000 by
   * default) or raise that one, else the client gives up before the answer comes (its Stop then ends
   * `serverConfirmed: false`, though the stream was stopped). On Redis the round trip of a cancel
   * that landed on another instance waits for it too (docs/server.md, "cancelUpstream").
   */
  cancelUpstreamTimeoutMs?: number;
};
