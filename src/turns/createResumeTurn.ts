import { createCancelRequest } from '../core/createCancelRequest';
import { createStreamSession } from '../core/createStreamSession';
import { StreamHttpError } from '../core/errors';
import { createDeferred } from '../core/internal/createDeferred';
import type { Message, MessageStore } from '../store/types';
import { PASSED_THROUGH, type TurnHost } from './createTurn';
import type { StreamRecord } from './streamRecords';
import type { RunCancel, Turn, TurnOptions } from './types';

/** `GET <resumeApi>?streamId=…` (the resume endpoint's address for one stream; `resumeApi` may be relative). */
export function resumeUrl(resumeApi: string | URL, streamId: string): string {
  const base = String(resumeApi);
  return `${base}${base.includes('?') ? '&' : '?'}streamId=${encodeURIComponent(streamId)}`;
}

/**
 * A turn that resumes a stream another page started (docs/resume.md, "After a reload"): a session
 * whose request is the resume endpoint's `GET`, from the start of the stream's log (the decoder's
 * state of the old page is gone, so the whole answer is read again and the message rebuilt),
 * writing into the message the stream was already streaming into. With its record's stream id and
 * secret, so that its Stop cancels the stream on whichever instance runs it, and a dropped
 * connection reconnects like any other.
 *
 * The message is left as it is until the resumed answer has caught up with what it shows (never a
 * shorter text for a frame), and left as it is for good when the resume fails (`404`: the log
 * expired; it then stays `disconnected`, unchanged).
 */
export function createResumeTurn<Input, Client>(
  host: TurnHost<Input>,
  options: TurnOptions<Input> & { store: MessageStore; resumeApi: string | URL },
  record: StreamRecord,
  client: Client,
  runCancel: RunCancel<Client>,
): Turn<Client> {
  const { store } = options;
  const headers = new Headers(typeof options.headers === 'function' ? options.headers() : options.headers);
  const cancel = options.cancelApi
    ? runCancel(() => turn.cancelClient, createCancelRequest(options.cancelApi, { fetch: options.fetch, headers, credentials: options.credentials }))
    : undefined;
  const session = createStreamSession({
    ...(Object.fromEntries(PASSED_THROUGH.map((key) => [key, options[key]])) as Pick<TurnOptions<Input>, (typeof PASSED_THROUGH)[number]>),
    api: resumeUrl(options.resumeApi, record.streamId),
    method: 'GET',
    headers,
    fetch: options.fetch,
    cancel,
    streamId: record.streamId,
    cancelSecret: record.secret,
    onError: (error) => host.options.onError?.(error),
  });
  const shown = store.getState().messages[record.messageId];
  let caughtUp = false;
  const turn: Turn<Client> = {
    ...createDeferred<Message>(),
    session,
    cancelClient: client,
    messageId: record.messageId,
    createdAt: shown?.createdAt ?? Date.now(),
    input: undefined,
    thisTask: false,
    secret: record.secret,
    shows: () => caughtUp,
  };
  session.subscribe(() => {
    const snapshot = session.getSnapshot();
    // Caught up: the replay shows at least what the message showed (or the resumed stream is live).
    const { status } = snapshot;
    const live = status === 'streaming' || status === 'reconnecting' || status === 'stopping';
    // A `404` (the log expired) or a resume that never got through is no answer: the message stays.
    const answered = status === 'complete' || (status === 'incomplete' && !(snapshot.error instanceof StreamHttpError) && snapshot.incomplete?.reason !== 'disconnected');
    if (!caughtUp) caughtUp = (live || answered) && snapshot.message.text.length >= (shown?.text.length ?? 0);
    if (caughtUp) store.getState().applySessionSnapshot(record.messageId, snapshot);
  });
  return turn;
}
