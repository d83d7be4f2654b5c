import type { Accumulator } from '../accumulator';
import type { Lost, StreamConnection } from './createStreamConnection';
import type { SessionTimers } from './createSessionTimers';
import type { StreamSessionOptions } from './types';

// The client half of resume (docs/resume.md): what a session does when its connection drops
// mid-answer. Its own module so the session reads as before; it costs an app without
// `resumeApi` only this code, never a request.

/** The `reconnect` defaults; an enum, so esbuild writes the values in place. */
enum Default {
  ATTEMPTS = 5,
  MIN_DELAY_MS = 250,
  MAX_DELAY_MS = 4000,
}

/** What the reconnector reads from its session and tells it. */
export type ReconnectHost = {
  /** Connecting, streaming or reconnecting: not stopped, not ended. Asked before every attempt and after every wait. */
  live(): boolean;
  /** `reconnecting`, heard at once (the first byte of a resumed body makes the session `streaming` again). */
  enter(status: 'reconnecting'): void;
  readonly message: Accumulator;
  readonly timers: SessionTimers;
};

/**
 * Returns what the session does with a body that ended or broke: with `resumeApi` and a drop
 * mid-answer (a read error; an end without the finish, except for plain text, whose end is its
 * finish), `reconnecting` and `GET <resumeApi>?streamId=…` with the cursor as `Last-Event-ID`, each
 * 2xx body read into the same decoder, until the stream ends or a stop, a `404` or the last failed
 * attempt; then, or without `resumeApi`, the connection closes as the body said (so the message
 * ends as it would have without resume).
 */
export function createReconnector(
  options: StreamSessionOptions,
  fetchFn: typeof fetch,
  connection: StreamConnection,
  ids: { streamId: string; cancelSecret: string },
  host: ReconnectHost,
): (lost: Lost) => void {
  const { resumeApi, headers: extra, credentials } = options;
  const { attempts = Default.ATTEMPTS, minDelayMs = Default.MIN_DELAY_MS, maxDelayMs = Default.MAX_DELAY_MS } = options.reconnect ?? {};

  const resumable = (lost: Lost) => {
    const { finishReason, error } = host.message.message();
    return host.live() && (lost.how === 'dropped' || (connection.protocol !== 'text' && finishReason === null && error === null));
  };

  const resume = async (lost: Lost) => {
    for (let attempt = 0; attempt < attempts; ) {
      host.enter('reconnecting');
      host.timers.pause();
      // Doubling, with jitter (half to all of it) so that clients a blip cut together do not come back together.
      const delay = Math.min(maxDelayMs, minDelayMs * 2 ** attempt++);
      await new Promise((resolve) => setTimeout(resolve, (delay * (1 + Math.random())) / 2));
      // A stop or the end since: no request (the stop contract, or the end, closes the rest).
      if (!host.live()) return;
      const decoder = connection.decoder!;
      const cursor = decoder.cursor;
      const headers = new Headers(extra);
      headers.set('x-stream-cancel-secret', ids.cancelSecret);
      if (cursor) headers.set('last-event-id', cursor);
      // The first-byte bound covers the resume request as it covered the first one.
      host.timers.start();
      const url = `${resumeApi}${String(resumeApi).includes('?') ? '&' : '?'}streamId=${encodeURIComponent(ids.streamId)}`;
      // A network error is a failed attempt.
      const response = await fetchFn(url, { headers, credentials, signal: connection.renew() }).catch(() => {});
      if (!host.live()) return;
      if (!response) continue;
      if (response.status === 404) break;
      const logEnded = response.headers.get('x-stream-log-ended');
      decoder.resumeFraming();
      // Back to `streaming` with the first byte (the session's chunk), as at the start.
      const next = await connection.readFrom(response);
      if (!next) return; // closed (a non-2xx answer, an undecodable stream), or the session ended
      // The cursor moves with each event (SSE) or byte (text, NDJSON) applied: progress.
      if (decoder.cursor !== cursor) attempt = 0;
      else if (logEnded) {
        // The stream was over before this resume and nothing came: its log says how it ended.
        if (logEnded === 'cancelled' || logEnded === 'error') host.message.apply({ type: 'finish', finishReason: logEnded, rawFinishReason: logEnded });
        return connection.finish(logEnded === 'disconnected' ? lost : { how: 'eof' });
      }
      if (!resumable(next)) return connection.finish(next);
      lost = next;
    }
    // A `404`, or the attempts spent: the stream closes as the last body said.
    connection.finish(lost);
  };

  return (lost) => (resumeApi && resumable(lost) ? void resume(lost) : connection.finish(lost));
}
