// Loaded through `import()` by the turn controller, only when an app sets `resumeApi` on a persisted
// store: an app without resume never downloads it (docs/size.md). Its modules import nothing that
// the rest of the library imports too (a bundler would split that into one more chunk for every
// app): what they need comes from the controller (`StreamsHost`).
import type { Message, MessageStore } from '../store/types';
import { createResumeTurn, type EndRun, type TurnSessionFactory } from './createResumeTurn';
import { forgetStream, rememberStream } from './streamRecords';
import { holdStreamLock, takeOverStreams } from './takeOverStreams';
import type { Turn, TurnOptions } from './types';

/** The name the store persists under: its stream records are kept beside it. */
const nameOf = (store: MessageStore) =>
  // zustand's persist API has `getOptions`; the store's public type leaves it out.
  (store.persist as { getOptions?: () => { name?: string } } | undefined)?.getOptions?.().name ?? 'react-model-stream';

/** A turn's message (or its stream) ended for good (not a page that went away): nothing is left to resume. */
const endedForGood = ({ status, incomplete }: { status: string; incomplete?: { reason: string } | null }) => status !== 'incomplete' || incomplete?.reason !== 'disconnected';

/** The turns this page recorded or resumed (a watch that starts again does not record them twice). */
const recorded = new WeakSet<Turn<unknown>>();

/**
 * Records a stream this page runs, so that the next page (a reload) or another tab (this one
 * closed) resumes it, and holds its lock while it runs. The record goes when the stream ended for
 * good; a stream this page left (`disconnected`: a reload, a closed tab) keeps it for the next.
 */
function recordStream(store: MessageStore, conversationId: string, turn: Turn<unknown>): void {
  if (recorded.has(turn)) return;
  recorded.add(turn);
  const name = nameOf(store);
  const { streamId, status } = turn.session.getSnapshot();
  if (!turn.secret || status === 'complete' || status === 'incomplete') return;
  const record = { messageId: turn.messageId, conversationId, streamId, secret: turn.secret, at: Date.now() };
  let ended: Message | null = null;
  const until = turn.promise.then((message) => {
    ended = message;
    const done = endedForGood(message);
    if (done) forgetStream(name, streamId);
    return done;
  });
  // The record only once the lock is held (the browser grants it a round trip later): written
  // before, another tab could see it, find the lock still free and resume a stream this page runs.
  holdStreamLock(streamId, until, () => {
    if (ended === null || !endedForGood(ended)) rememberStream(name, record);
  });
}

/** What `watchStreams` needs of the turn controller (handed in: this chunk imports none of its code). */
export type StreamsHost<Input, Client> = {
  /** The latest options, the lane's current turn, and every lane's changes. */
  controller: { options: TurnOptions<Input>; get(): Turn<Client> | null; subscribe(listener: () => void): () => void };
  /** Puts a turn on the lane and runs it to its end. */
  put(turn: Turn<Client>): void;
  session: TurnSessionFactory<Client>;
  /** The tool run's chunk (the controller's load, cached for the page): a resumed step of a run ends with its `endRun`. */
  toolRuns(): Promise<{ endRun: EndRun }>;
};

/**
 * Resumes the lane's recorded streams that no page runs (docs/resume.md, "After a reload"): each
 * on this lane, as a turn that reads the stream's log from its start into the message it was
 * streaming into. A resume that fails (the log expired) forgets the record and leaves the message.
 */
export function watchStreams<Input, Client>(host: StreamsHost<Input, Client>, store: MessageStore, conversationId: string, client: Client): () => void {
  const name = nameOf(store);
  // This page's own streams, recorded as they start (a turn put on the lane) for the next page.
  const recordCurrent = () => {
    const turn = host.controller.get();
    if (turn) recordStream(store, conversationId, turn);
  };
  recordCurrent();
  const unsubscribe = host.controller.subscribe(recordCurrent);
  const stopTakingOver = takeOverStreams(name, conversationId, async (record) => {
    const { options } = host.controller;
    const { resumeApi } = options;
    if (!resumeApi || !store.getState().messages[record.messageId]) {
      forgetStream(name, record.streamId);
      return true;
    }
    // With `tools` the stream is a step of a run: its end is the run chunk's (loaded with the
    // controller, so there already; one that cannot load leaves the step's end as the stream's).
    const endRun = options.tools ? (await host.toolRuns().catch(() => undefined))?.endRun : undefined;
    // Never over a turn that runs on the lane: the user's own start wins over a resume.
    const current = host.controller.get()?.session.getSnapshot().status;
    if (current && current !== 'complete' && current !== 'incomplete') return false;
    const turn = createResumeTurn(host.session, { ...options, store, resumeApi }, record, client, endRun);
    // Its record stays as it is (this page holds the stream's lock while it resumes it).
    recorded.add(turn);
    host.put(turn);
    await turn.promise;
    // The stream's own end decides (a step whose run ended with its page is `disconnected`, its stream complete).
    const done = !turn.shows?.() || endedForGood(turn.session.getSnapshot());
    if (done) forgetStream(name, record.streamId);
    return done;
  });
  return () => {
    unsubscribe();
    stopTakingOver();
  };
}
