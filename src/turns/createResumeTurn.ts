// In the lazy chunk of resume across pages (resumeAcrossPages.ts): it imports no code the rest of
// the library also uses (only types), or a bundler would split that shared code into a chunk of its
// own and every app would download one more chunk (docs/size.md). What it needs is handed in.
import type { StreamSession } from '../core/createStreamSession';
import type { Message, MessageStore } from '../store/types';
import type { TurnRequest } from './createTurn';
import type { StreamRecord } from './streamRecords';
import type { Turn, TurnOptions } from './types';

/**
 * The resume endpoint's address for one stream, as the reconnector (core/session/createReconnector.ts)
 * builds it (`resumeApi` may have a query of its own). Written out in both: a function shared by
 * the two lazy chunks would make a bundler split a chunk of its own (one more request, +200 B).
 */
const resumeUrlOf = (resumeApi: string | URL, streamId: string) => {
  const base = String(resumeApi);
  return `${base}${base.includes('?') ? '&' : '?'}streamId=${encodeURIComponent(streamId)}`;
};

/** The end of a resumed step of a tool run (`endRun` of createToolRun.ts): handed in. */
export type EndRun = (store: MessageStore, turn: Turn<unknown>, message: Message) => Message;

/** Makes a session as a turn's is made (`createTurnSession`): handed in by the controller. */
export type TurnSessionFactory<Client> = (request: TurnRequest, client: () => Client) => StreamSession;

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
export function createResumeTurn<Input, Client>(createSession: TurnSessionFactory<Client>, options: TurnOptions<Input> & { store: MessageStore; resumeApi: string | URL }, record: StreamRecord, client: Client, endRun?: EndRun): Turn<Client> {
  const { store } = options;
  const headers = new Headers(typeof options.headers === 'function' ? options.headers() : options.headers);
  const session = createSession(
    { api: resumeUrlOf(options.resumeApi, record.streamId), method: 'GET', headers, streamId: record.streamId, cancelSecret: record.secret },
    () => turn.cancelClient,
  );
  const shown = store.getState().messages[record.messageId];
  let caughtUp = false;
  let resolve!: (message: Message) => void;
  const promise = new Promise<Message>((settle) => (resolve = settle));
  const turn: Turn<Client> = {
    promise,
    resolve,
    session,
    cancelClient: client,
    messageId: record.messageId,
    createdAt: shown?.createdAt ?? Date.now(),
    input: undefined,
    thisTask: false,
    secret: record.secret,
    shows: () => caughtUp,
  };
  // With `tools`, the stream is a step of a run, and that run (its tools, approvals, next steps)
  // lived in the page that is gone: the step's calls it would have answered are marked, not run
  // here (docs/tools.md, "A reload during a run", says why), and the message says the run ended.
  // (`endRun` is the tool run's chunk's: watchStreams loads it for a lane with `tools`.)
  if (options.tools && endRun) turn.endRun = (message) => endRun(store, turn, message);
  session.subscribe(() => {
    const snapshot = session.getSnapshot();
    // Caught up: the replay shows at least what the message showed (or the resumed stream is live).
    const { status } = snapshot;
    const live = status === 'streaming' || status === 'reconnecting' || status === 'stopping';
    // A `404` (the log expired) or a resume that never got through is no answer: the message stays.
    const answered = status === 'complete' || (status === 'incomplete' && (snapshot.error as { type?: unknown } | null)?.type !== 'http' && snapshot.incomplete?.reason !== 'disconnected');
    if (!caughtUp) caughtUp = (live || answered) && snapshot.message.text.length >= (shown?.text.length ?? 0);
    if (caughtUp) store.getState().applySessionSnapshot(record.messageId, snapshot);
  });
  return turn;
}
