/**
 * The registry contract. `handleModelStream` and `handleCancel` talk only to this interface, so the
 * in-memory registry (`createStreamRegistry`) and the Redis one (`createRedisStreamRegistry`) are
 * interchangeable, and an app can bring its own (a database, Durable Objects, …).
 */

/** Token counts of a cancelled stream, as the cancel endpoint and the `stream-cancelled` event carry them. */
export type CancelUsage = { inputTokens: number | null; outputTokens: number | null };

/**
 * What a stream knew when it was cancelled. `usageEstimated` is `true` when the provider had not
 * sent a final output count and it was estimated from the streamed text (see `estimateUsage`).
 * `upstreamCancelled` is there only when `handleModelStream` has `cancelUpstream`: whether that
 * provider-side cancel succeeded within `cancelUpstreamTimeoutMs`.
 */
export type CancelReport = { usage: CancelUsage | null; usageEstimated: boolean; upstreamCancelled?: boolean };

/**
 * Called by the registry, on the instance that serves the stream, when a cancel with the right
 * secret arrives: aborts the upstream and returns the usage known so far. Returns `null` when the
 * stream had already finished (a cancel that raced the last byte), which answers `already-finished`.
 *
 * It may return a promise (`handleModelStream` with `cancelUpstream` does: the signal is aborted
 * at once, then the answer waits, bounded, for the provider-side cancel). The registry awaits it
 * before it answers the cancel; a listener that throws or rejects still cancelled the stream
 * (answered with the usage unknown). The stream must be stopped synchronously, before the promise
 * settles: the registry has already taken it out of the live set.
 */
export type CancelListener = () => CancelReport | null | Promise<CancelReport | null>;

/** A registered stream. Call `finish()` once when it ends for any reason; later calls do nothing. */
export type StreamRegistration = {
  readonly streamId: string;
  /**
   * Marks the stream finished: it leaves the set of live streams, and a short-lived marker makes a
   * late cancel answer `already-finished` instead of 404 (and a reuse of the id answer 409).
   *
   * `stopped`: the stream did not finish but was stopped without a cancel (the client went away
   * and the upstream was aborted). The first late cancel with the right secret then answers
   * `cancelled` with this report instead of `already-finished`, since the model was stopped before
   * it finished. This is what a browser's Stop sees when its cancel had to wait for its own stream's
   * connection to close (six streams open to one HTTP/1.1 host). Registries that ignore it answer
   * `already-finished`.
   */
  finish(stopped?: CancelReport): void | Promise<void>;
};

/**
 * What `register` can answer: the registration, `'conflict'` when the id is in use (or was used a
 * moment ago), or `'cancelled'` when a cancel with the same secret arrived before the stream (a
 * tombstone): the stream must not start.
 */
export type RegisterResult = StreamRegistration | 'conflict' | 'cancelled';

/**
 * What `cancel` can answer.
 * - `cancelled`: the stream was stopped; `report` has its usage. `pending: true` means no stream
 *   with this id exists yet, and a tombstone will cancel it the moment it registers (`report.usage`
 *   is then `null`).
 * - `already-finished`: the stream ended (or was cancelled) before this cancel.
 * - `not-found`: no such stream, and tombstones are off.
 * - `forbidden`: the secret does not match.
 * - `unavailable`: the instance serving the stream did not confirm in time (Redis registry only).
 * - `full`: no stream with this id, and the registry already holds as many tombstones as it may.
 *   None was left, so this cancel will **not** catch the stream if it starts later (never answered
 *   as `pending`; a tombstone already promised is never evicted to make room).
 */
export type CancelResult =
  | { status: 'cancelled'; report: CancelReport; pending?: boolean }
  | { status: 'already-finished' }
  | { status: 'not-found' }
  | { status: 'forbidden' }
  | { status: 'unavailable' }
  | { status: 'full' };

/** Options of `StreamRegistry.cancel`. */
export type CancelOptions = {
  /**
   * Leave a tombstone when no stream has this id (default `true`). `handleCancel` passes `false`
   * for a client over its rate limit: it may still cancel a stream it holds the secret of, but it
   * cannot fill the registry with tombstones for made-up ids (the answer is then `not-found`).
   */
  tombstone?: boolean;
};

/** A registry of live streams, their secret hashes, and how to cancel them. */
export interface StreamRegistry {
  /**
   * Registers a stream under its id and the SHA-256 hex of its cancel secret. `onCancel` runs when
   * a cancel with the right secret arrives (on this instance, even if the cancel landed elsewhere).
   */
  register(streamId: string, secretHash: string, onCancel: CancelListener): Promise<RegisterResult>;
  /** Cancels a stream if `secretHash` matches the one it registered with (compared in constant time). */
  cancel(streamId: string, secretHash: string, options?: CancelOptions): Promise<CancelResult>;
  /** Live streams served by this instance (finished markers and tombstones are not counted). */
  size(): number;
  /** Stops timers and connections. The registry must not be used afterwards. */
  close(): Promise<void>;
  /**
   * Where streams keep their output for a client that reconnects (docs/resume.md). Needed by
   * `handleModelStream`'s `resume` option and by `handleResume`; a registry without it cannot resume.
   */
  readonly resumeLog?: ResumeLogStore;
}

/** How a stream's log knows how to answer a resume: the answer's headers and how its bytes are cut. */
export type ResumeLogMeta = {
  /** The stream's content type, repeated on the resume answer. */
  readonly contentType: string | null;
  /** The AI SDK's `x-vercel-ai-ui-message-stream` header, if the stream had it. */
  readonly aiSdk: string | null;
  /** `sse`: entries end at events and carry `id:` lines; `ndjson` / `text`: byte cursors. */
  readonly framing: 'sse' | 'ndjson' | 'text';
};

/** How a logged stream ended: what a resume of an ended stream reports in `x-stream-log-ended`. */
export type ResumeLogEnd = 'complete' | 'cancelled' | 'disconnected' | 'error';

/**
 * One piece of a stream's output. `start` and `end` are offsets in the stream's *content* (the
 * upstream's bytes and the cancel terminal, without the `id:` lines); `data` is exactly what the
 * client was sent for it (with the `id:` line of an SSE event). For text and NDJSON `data` is the
 * content itself, so a cursor inside an entry takes its tail.
 */
export type ResumeLogEntry = { readonly start: number; readonly end: number; readonly data: Uint8Array };

/** The bounds of one stream's log. */
export type ResumeLogLimits = {
  /** Most bytes of `data` kept; the oldest entries go first (a cursor before them answers 404). */
  readonly maxBytes: number;
  /** How long the log lives after its last write (its end included). */
  readonly ttlMs: number;
};

/** The stream's side of its log (on the instance that runs it). Writes are ordered and never throw. */
export interface ResumeLogWriter {
  append(entry: ResumeLogEntry): void;
  /** The stream ended: readers get the rest and close; the log lives `ttlMs` more. */
  end(reason: ResumeLogEnd): void;
  /** Whether a reader is reading now, or read within the last `ms` (the detached bound). */
  readSince(ms: number): Promise<boolean>;
}

/** A stream's log as a resume finds it. */
export interface ResumeLogReader {
  readonly meta: ResumeLogMeta;
  readonly secretHash: string;
  /** Content bytes written so far (when opened). */
  readonly total: number;
  /** The first content offset still kept (entries before it were trimmed). */
  readonly first: number;
  /** How the stream ended, or `null` while it runs (when opened). */
  readonly ended: ResumeLogEnd | null;
  /**
   * The entries whose `end` is past `after`, in order: what is kept, then the live ones as they
   * are written, until the stream's end. Throws a `ResumeGapError` when the log was trimmed past
   * the reader's position, and ends early when `signal` aborts.
   */
  entries(after: number, signal: AbortSignal): AsyncIterable<ResumeLogEntry>;
}

/** Where a registry keeps streams' logs. */
export interface ResumeLogStore {
  create(streamId: string, secretHash: string, meta: ResumeLogMeta, limits: ResumeLogLimits): ResumeLogWriter;
  /** The log of a stream, or `null` when there is none (unknown, or expired). */
  open(streamId: string): Promise<ResumeLogReader | null>;
}
