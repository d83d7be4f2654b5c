import { withTimeout } from '../core/internal/withTimeout';
import { ResumeGapError } from './ResumeGapError';
import { AI_SDK_HEADER } from './internal/cancelTerminal';
import { readCursor } from './internal/resume/readCursor';
import { resumeBody } from './internal/resume/resumeBody';
import { streamTag } from './internal/resume/streamTag';
import { CANCEL_SECRET_HEADER, hashSecret, isValidSecret, isValidStreamId, jsonError, secretHashesEqual } from './internal/validation';
import type { ResumeLogEntry, ResumeLogReader, ResumeLogStore, StreamRegistry } from './types';

export type HandleResumeOptions = {
  /** The registry the streams were registered in, with their logs (the one `handleModelStream` uses). */
  registry: StreamRegistry;
  /**
   * The app's own check (a session, a user id), run after the request is well-formed. `false`
   * answers 403. A hook that throws answers 500.
   */
  authorize?: (request: Request, streamId: string) => boolean | Promise<boolean>;
};

/** The header of a resume answer whose stream had already ended: how it ended. */
export const LOG_ENDED_HEADER = 'x-stream-log-ended';

/** How long a resume waits for the first replayed entry that the log already has (Redis: one round trip). */
const FIRST_ENTRY_TIMEOUT_MS = 10_000;

/**
 * How long a resume waits for a log that is behind its cursor. A log in Redis is written after the
 * bytes went to the client (never holding the stream up), so a client that drops and resumes at
 * once, through another instance, may bring a cursor the log has not reached yet.
 */
const CATCH_UP_MS = 2000;
const CATCH_UP_POLL_MS = 20;

/** The log again, until it has reached `cursor`, ended, or CATCH_UP_MS passed (then the cursor is past it: 400). */
async function caughtUp(store: ResumeLogStore, streamId: string, log: ResumeLogReader, cursor: number | null): Promise<ResumeLogReader> {
  const deadline = Date.now() + CATCH_UP_MS;
  while (cursor !== null && cursor > log.total && log.ended === null && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, CATCH_UP_POLL_MS));
    const again = await store.open(streamId).catch(() => null);
    if (again === null) break;
    log = again;
  }
  return log;
}

/**
 * The resume endpoint (docs/resume.md): `GET <resumeApi>?streamId=…` with the stream's
 * `x-stream-cancel-secret` and its cursor in `Last-Event-ID`. Answers what the client missed, then
 * follows the live stream to its end, in the stream's own wire format (the same `id:` lines), as
 * many readers at once as come. It never starts the model again: it reads the stream's log, which
 * `handleModelStream` writes with `resume` on.
 *
 * Answers: `200` and the stream (with `x-stream-log-ended` when it had already ended); `400` a
 * missing or malformed id, a malformed cursor, another stream's cursor, an SSE cursor that is not
 * at an event's end, a cursor past what was written; `403` a missing or wrong secret (compared in
 * constant time), or `authorize` said no; `404` an unknown stream, an expired log, or a log trimmed
 * past the cursor (never a silent gap); `405` not a `GET`; `503` the registry's log failed.
 *
 * @example
 * ```ts
 * // app/api/chat/resume/route.ts (Next.js)
 * import { handleResume } from 'react-model-stream/server';
 * import { registry } from '../../registry';
 *
 * export function GET(request: Request) {
 *   return handleResume(request, { registry });
 * }
 * ```
 */
export async function handleResume(request: Request, options: HandleResumeOptions): Promise<Response> {
  if (request.method !== 'GET') return jsonError(405, 'The resume endpoint answers GET only.', { allow: 'GET' });
  const store = options.registry.resumeLog;
  if (!store) return jsonError(500, 'This registry keeps no resume logs (it has no `resumeLog`).');
  const streamId = new URL(request.url).searchParams.get('streamId');
  if (!isValidStreamId(streamId)) return jsonError(400, 'The query parameter `streamId` is missing or not a valid stream id.');
  const secret = request.headers.get(CANCEL_SECRET_HEADER);
  if (!isValidSecret(secret)) return jsonError(403, `The header ${CANCEL_SECRET_HEADER} is missing or malformed.`);
  if (options.authorize) {
    let allowed: boolean;
    try {
      allowed = (await options.authorize(request, streamId)) === true;
    } catch {
      return jsonError(500, 'The authorize hook failed.');
    }
    if (!allowed) return jsonError(403, 'This resume was refused by the app (authorize).');
  }
  let log: ResumeLogReader | null;
  try {
    log = await store.open(streamId);
  } catch {
    return jsonError(503, "The stream's resume log is unavailable. Try again.");
  }
  // The secret is compared before anything about the log is told (even its framing, by a 400).
  const secretHash = await hashSecret(secret);
  if (log === null) return jsonError(404, 'No stream with this id has a resume log (unknown, or expired).');
  if (!secretHashesEqual(secretHash, log.secretHash)) return jsonError(403, `The ${CANCEL_SECRET_HEADER} does not match this stream's.`);
  const cursor = readCursor(request.headers.get('last-event-id'), log.meta.framing, streamTag(streamId));
  return answerFrom(request, await caughtUp(store, streamId, log, cursor), cursor);
}

/** The answer for a log and a cursor: checked against the log, then the replay and the live rest. */
async function answerFrom(request: Request, log: ResumeLogReader, cursor: number | null): Promise<Response> {
  if (cursor === null) return jsonError(400, 'The Last-Event-ID is not a cursor of this stream.');
  if (cursor < log.first) return jsonError(404, "The stream's log was trimmed past this cursor: the rest cannot be resumed.");
  if (cursor > log.total) return jsonError(400, 'The Last-Event-ID is past what this stream has written.');
  const stop = new AbortController();
  request.signal.addEventListener('abort', () => stop.abort(), { once: true });
  const entries = log.entries(cursor, stop.signal)[Symbol.asyncIterator]();
  // A refused resume lets go of the log: the reader's `finally` runs (it stops counting as a reader).
  const giveUp = () => {
    stop.abort();
    entries.return?.(undefined).catch(() => {});
  };
  let first: Uint8Array | null = null;
  if (cursor < log.total) {
    // The log has this entry already: read it before answering, to tell a bad cursor by its status.
    let next: IteratorResult<ResumeLogEntry>;
    try {
      next = await withTimeout(entries.next(), FIRST_ENTRY_TIMEOUT_MS, () => {
        throw new Error('The resume log did not answer in time.');
      });
    } catch (error) {
      giveUp();
      if (error instanceof ResumeGapError) return jsonError(404, "The stream's log was trimmed past this cursor: the rest cannot be resumed.");
      return jsonError(503, "The stream's resume log is unavailable. Try again.");
    }
    if (next.done === true || next.value.start > cursor) {
      giveUp();
      return jsonError(404, "The stream's log was trimmed past this cursor: the rest cannot be resumed.");
    }
    if (next.value.start < cursor && log.meta.framing === 'sse') {
      giveUp();
      return jsonError(400, 'The Last-Event-ID is not at the end of an event of this stream.');
    }
    first = next.value.data.subarray(cursor - next.value.start);
  }
  const headers = new Headers({ 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
  if (log.meta.contentType) headers.set('content-type', log.meta.contentType);
  if (log.meta.aiSdk) headers.set(AI_SDK_HEADER, log.meta.aiSdk);
  if (log.ended) headers.set(LOG_ENDED_HEADER, log.ended);
  return new Response(resumeBody(entries, first, stop), { status: 200, headers });
}
