import type { enter as enterOf, isLive as isLiveOf, Session } from '../createStreamSession';

// The client half of resume (docs/resume.md): what a session does when its connection drops
// mid-answer. A chunk of its own: the session loads it with a dynamic `import()`, at its creation
// and only with `resumeApi`, so an app without it never downloads this code (docs/size.md). It
// imports nothing at run time, types only: it gets the session's record and its `isLive` and
// `enter` as arguments (an import of them would tie this chunk to the session's), and what it needs
// from the decoder and the connection, they expose.

/** The `reconnect` defaults; an enum, so esbuild writes the values in place. */
enum Default {
  ATTEMPTS = 5,
  MIN_DELAY_MS = 250,
  MAX_DELAY_MS = 4000,
}

/** `GET <resumeApi>?streamId=…`, the resume endpoint's address for one stream (`resumeApi` may have a query of its own). */
function resumeUrl(resumeApi: string | URL, streamId: string): string {
  const base = String(resumeApi);
  return `${base}${base.includes('?') ? '&' : '?'}streamId=${encodeURIComponent(streamId)}`;
}

/**
 * Returns the session's `lost` (see `ConnectionSink`): with `resumeApi`, a drop mid-answer (a read
 * error; an end without the finish, except for plain text, whose end is its finish) makes the
 * session `reconnecting` and, after a jittered, doubling delay, sends `GET <resumeApi>?streamId=…`
 * with the stream request's headers and the cursor as `Last-Event-ID`; a 2xx body is read into the
 * same decoder, and its own end or drop comes back here. A `404` or the last failed attempt closes
 * the connection as the body said (the message ends as it would have without resume); a stop or
 * the end stops it before every request and after every wait. `session` is the session's record;
 * `isLive` and `enter` are the session's own (passed in: see the note at the top).
 */
export function createReconnector(session: Session, fetchFn: typeof fetch, isLive: typeof isLiveOf, enter: typeof enterOf) {
  const { options, connection, message } = session;
  const { streamId } = session.session;
  const { resumeApi, credentials } = options;
  /** Connecting, streaming or reconnecting: not stopped, not ended. Asked before every attempt and after every wait. */
  const live = () => isLive(session.phase);
  const { attempts = Default.ATTEMPTS, minDelayMs = Default.MIN_DELAY_MS, maxDelayMs = Default.MAX_DELAY_MS } = options.reconnect ?? {};
  let attempt = 0;
  /** The cursor the last resume request went out with (none yet: `undefined`). */
  let sent: string | null | undefined;
  /** The last resume answer's `x-stream-log-ended`. */
  let logEnded: string | null = null;
  /** The drop being resumed: how the stream closes if the resume cannot bring the rest. */
  let drop: [how: 'eof' | 'dropped', failure: unknown];

  const resume = async (how: 'eof' | 'dropped', failure: unknown): Promise<void> => {
    const decoder = connection.decoder!;
    drop = [how, failure];
    if (attempt >= attempts) return connection.finish(how, failure);
    // `reconnecting`, heard at once (the first byte of a resumed body makes the session `streaming` again).
    enter(session, 'reconnecting');
    // Doubling, with jitter (half to all of it) so that clients a blip cut together do not come back together.
    const delay = Math.min(maxDelayMs, minDelayMs * 2 ** attempt++);
    await new Promise((resolve) => setTimeout(resolve, (delay * (1 + Math.random())) / 2));
    // A stop or the end since: no request (the stop contract, or the end, closes the rest).
    if (!live()) return;
    // The stream request's own headers (the user's, the id and the secret), and the cursor.
    const headers = connection.headers!;
    if ((sent = decoder.cursor)) headers.set('last-event-id', sent);
    logEnded = null;
    let response: Response | undefined;
    try {
      response = await fetchFn(resumeUrl(resumeApi!, streamId), { headers, credentials, signal: connection.signal });
    } catch {
      // A network error: a failed attempt (below).
    }
    if (!live()) return;
    if (!response) return resume(how, failure);
    if (response.status === 404) return connection.finish(how, failure);
    // A gateway, or the log store out of reach (`handleResume`'s 503 while Redis restarts), is
    // passing: another attempt; the last one's answer is the error.
    if (response.status > 501 && response.status < 505 && attempt < attempts) {
      response.body?.cancel().catch(() => {});
      return resume(how, failure);
    }
    logEnded = response.headers.get('x-stream-log-ended');
    decoder.resumeFraming();
    // Back to `streaming` with its first byte, as at the start; its end comes back to `lost`.
    return connection.readFrom(response);
  };

  return (how: 'eof' | 'dropped', failure?: unknown): boolean => {
    // The cursor moves with each event (SSE) or byte (text, NDJSON) applied: progress.
    if (connection.decoder!.cursor !== sent) attempt = 0;
    else if (logEnded) {
      // The stream was over before the last resume and nothing came: its log says how it ended.
      if (logEnded === 'cancelled' || logEnded === 'error') message.apply({ type: 'finish', finishReason: logEnded, rawFinishReason: logEnded });
      if (logEnded === 'disconnected') connection.finish(...drop);
      else connection.finish('eof');
      return true;
    }
    const { finishReason, error, text, reasoning, toolCalls, id, usage } = message.message();
    // No cursor after events were applied (SSE events without an `id:`: a server without the
    // resume log, a proxy that drops the field): a resume would replay the stream from its start
    // onto what is shown. It ends as without resume.
    const blind = connection.decoder!.cursor === null && !!(text || reasoning || toolCalls.length || id || usage);
    const resumable = !!resumeApi && !blind && live() && (how === 'dropped' || (connection.protocol !== 'text' && finishReason === null && error === null));
    // `resume` does not reject: the request's failure is caught, the reads are the connection's.
    if (resumable) void resume(how, failure);
    return resumable;
  };
}
