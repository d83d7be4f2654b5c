/**
 * The public types of the stream session: what a UI reads (`StreamSessionSnapshot`), what an app
 * passes (`StreamSessionOptions`) and what it holds (`StreamSession`). In a module of their own so
 * the session's collaborators (`src/core/session/`) can name them without importing the session;
 * `createStreamSession.ts` and the core entry re-export every one of them.
 */
import type { AccumulatedMessage } from '../accumulator';
import type { CancelFunction, createCancelRequest } from '../createCancelRequest';
import type { createStreamSession } from '../createStreamSession';
import type { NotifyScheduler } from '../scheduler';
import type { Protocol, StreamEvent } from '../types';

/**
 * Where a session stands.
 * - `idle`: created, `start()` not called yet.
 * - `connecting`: the request is out; no byte of the answer has arrived yet.
 * - `streaming`: the answer is arriving.
 * - `reconnecting`: the connection dropped mid-answer and the session asks `resumeApi` for the rest
 *   (docs/resume.md); live like `streaming`: `stop()` works, the message stays.
 * - `stopping`: `stop()` was called; the visible message is frozen while the server cancel runs.
 * - `complete`: the model finished (`stop` / `tool-calls`, or a plain-text stream that closed cleanly).
 * - `incomplete`: anything else; `snapshot.incomplete.reason` says why.
 */
export type StreamStatus = 'idle' | 'connecting' | 'streaming' | 'reconnecting' | 'stopping' | 'complete' | 'incomplete';

/**
 * Why a message ended `incomplete`.
 * - `cancelled`: the user stopped it (or the server reported a cancel in the stream).
 * - `disconnected`: the connection dropped or closed before the model finished, or `disconnect()` was called.
 * - `error`: a non-2xx answer, a malformed event, an error reported in the stream, or a timeout.
 * - `length`: the model hit its output limit.
 * - `content-filter`: the provider's filter cut the answer.
 */
export type IncompleteReason = 'cancelled' | 'disconnected' | 'error' | 'length' | 'content-filter';

/** What `snapshot.incomplete` holds once a session ended `incomplete`. */
export type IncompleteInfo = {
  readonly reason: IncompleteReason;
  /** For `cancelled`: the server confirmed the cancel (its answer, or a cancel event in the stream). */
  readonly serverConfirmed?: boolean;
  /** A human-readable message: the fault, or why the server cancel failed. */
  readonly error?: string;
};

/**
 * Everything a UI reads from a session. Immutable: `getSnapshot()` returns the same object until
 * something visible changed, as `useSyncExternalStore` requires.
 */
export type StreamSessionSnapshot = {
  readonly status: StreamStatus;
  /** The accumulated message (text, reasoning, tool calls with partial arguments, usage, finish reason). */
  readonly message: AccumulatedMessage;
  /** Set when `status` is `incomplete`, `null` otherwise. */
  readonly incomplete: IncompleteInfo | null;
  /**
   * The typed error, when one applies: `StreamHttpError` (non-2xx), `StreamProtocolError`
   * (malformed event), `StreamAbortedError` (`'timeout'`, or `'disconnected'` with the network
   * error as `cause`), the error a failed server cancel rejected with, the error `fetch` rejected
   * with (network unreachable), or an `Error` with the message of an error reported inside the
   * stream. `null` for a deliberate `stop()` whose cancel worked and for `disconnect()`.
   */
  readonly error: Error | null;
  readonly streamId: string;
  /** The provider's response / message id, once the stream sent it. */
  readonly responseId: string | null;
  /** The wire format, once known. */
  readonly protocol: Protocol | null;
};

/** What `stop()` resolves with. */
export type StopResult = { serverConfirmed: boolean; error?: string };

/** Options of {@link createStreamSession}. */
export type StreamSessionOptions = {
  /** The streaming endpoint. */
  api: string | URL;
  /** Default `'POST'`. */
  method?: string;
  /** Extra request headers. `x-stream-id` and `x-stream-cancel-secret` are always the session's own. */
  headers?: HeadersInit;
  body?: BodyInit | null;
  credentials?: RequestCredentials;
  /** The wire format, or `'auto'` (default): from the content type, then the first event. */
  protocol?: Protocol | 'auto';
  /** Where AI SDK streams carry usage in `messageMetadata`. Default `['usage']`. */
  aiSdkUsagePath?: readonly string[];
  /** Largest event the decoder buffers, in characters. Default 16 MiB. */
  maxEventSize?: number;
  /** The `fetch` to use for the stream (and the default cancel). Default: the global one. */
  fetch?: typeof fetch;
  /**
   * The cancel endpoint, called through {@link createCancelRequest} with this session's `fetch` and
   * `credentials` (not its `headers`: pass `cancel: createCancelRequest(url, { headers })` for those).
   * Without it (and without `cancel`), `stop()` only aborts locally and reports `serverConfirmed: false`.
   */
  cancelApi?: string | URL;
  /** A server cancel of your own (wins over `cancelApi`). Must honour `signal`. */
  cancel?: CancelFunction;
  /** How long `stop()` waits for the server cancel before aborting anyway. Default 3000; 0 = no bound. */
  cancelTimeoutMs?: number;
  /** After a server cancel answered, how long the stream may take to end by itself (its final usage / cancel event). Default 250. */
  drainMs?: number;
  /** Ends the stream (`incomplete`, reason `error`, `StreamAbortedError('timeout')`) when no byte arrived in time. Default 30000; 0 = off. */
  firstByteTimeoutMs?: number;
  /** Ends the stream the same way when it goes silent this long between chunks. Default 0 = off. */
  idleTimeoutMs?: number;
  /** How often subscribers hear about deltas: once per animation frame (default), every N ms, or on every delta (`false`). */
  throttle?: 'frame' | number | false;
  /** A scheduler of your own (overrides `throttle`). */
  scheduler?: NotifyScheduler;
  /** Use this stream id instead of a random one. */
  streamId?: string;
  /** Use this cancel secret instead of a random one. */
  cancelSecret?: string;
  /**
   * The runtime's HTTP/1.1 connection limit per host. Default: 6 in a browser, `Infinity`
   * elsewhere (Node, jsdom; set it for React Native, whose fetch limits connections per host too).
   * At this many streams open to the cancel's origin, the stop frees this stream's connection so
   * the cancel is not queued behind them (docs/session.md, "The browser's connection pool").
   */
  connectionsPerHost?: number;
  /**
   * The resume endpoint (`handleResume`, docs/resume.md). With it, a connection that drops
   * mid-answer (a network error while reading, or a body that ends without the stream's finish) is
   * not the end: the status becomes `reconnecting` and the session asks
   * `GET <resumeApi>?streamId=<id>` for the rest, from the last event it applied, then goes on
   * `streaming` into the same message. When that fails (`404`, or the attempts run out) the message
   * ends `incomplete` / `disconnected`, as without it. Uses this session's `fetch`, `headers` and
   * `credentials`.
   *
   * @example
   * ```ts
   * createStreamSession({ api: '/api/chat', cancelApi: '/api/chat/cancel', resumeApi: '/api/chat/resume', body });
   * ```
   */
  resumeApi?: string | URL;
  /**
   * How `resumeApi` is retried: at most `attempts` requests in a row (default 5; an attempt that
   * brings new bytes starts the count again), each after a jittered delay that doubles from
   * `minDelayMs` (default 250) up to `maxDelayMs` (default 4000).
   *
   * @example
   * ```ts
   * createStreamSession({ api: '/api/chat', resumeApi: '/api/chat/resume', reconnect: { attempts: 8, maxDelayMs: 10_000 } });
   * ```
   */
  reconnect?: { attempts?: number; minDelayMs?: number; maxDelayMs?: number };
  /** Every decoded event, as it is applied. */
  onEvent?: (event: StreamEvent) => void;
  /** Once, with the final snapshot. */
  onFinish?: (snapshot: StreamSessionSnapshot) => void;
  /** Once, when the session ends with an error (`snapshot.error`); called before `onFinish`. */
  onError?: (error: Error) => void;
};

/** A stream session: one request, its state, and the stop contract. */
export type StreamSession = {
  readonly streamId: string;
  readonly cancelSecret: string;
  /** Starts the request. Resolves with the final snapshot; never rejects. A second call returns the same promise. */
  start(): Promise<StreamSessionSnapshot>;
  /**
   * Stops the stream (DESIGN.md, "The stop contract"). Idempotent: a second call returns the same
   * promise. Before `start()`, after the end, or once the model already sent its finish event, it
   * sends nothing and resolves `{ serverConfirmed: false }`. Never rejects.
   */
  stop(): Promise<StopResult>;
  /**
   * Aborts locally without a server cancel (unmount, page hide): ends `incomplete`, reason
   * `disconnected`, with the message as it was last shown (what arrived since the last notified
   * frame is left out: the next page must not show more than the user saw). No-op unless
   * connecting, streaming or reconnecting (not while stopping: its contract bounds that end).
   */
  disconnect(): void;
  /** Calls `listener` after each notification. Returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
  /** The current snapshot; the same object between notifications. */
  getSnapshot(): StreamSessionSnapshot;
};
