// Loaded through `import()` by the turn controller, only when an app sets `resumeApi` on a persisted
// store: an app without resume never downloads it (docs/size.md).
import type { Message, MessageStore } from '../store/types';
import { createResumeTurn } from './createResumeTurn';
import { forgetStream, rememberStream } from './streamRecords';
import { holdStreamLock, takeOverStreams } from './takeOverStreams';
import type { RunCancel, Turn, TurnOptions } from './types';

/** The name the store persists under: its stream records are kept beside it. */
const nameOf = (store: MessageStore) =>
  // zustand's persist API has `getOptions`; the store's public type leaves it out.
  (store.persist as { getOptions?: () => { name?: string } } | undefined)?.getOptions?.().name ?? 'react-model-stream';

/** A turn's message ended for good (not a page that went away): nothing is left to resume. */
const endedForGood = (message: Message) => message.status !== 'incomplete' || message.incomplete?.reason !== 'disconnected';

/**
 * Records a stream this page runs, so that the next page (a reload) or another tab (this one
 * closed) resumes it, and holds its lock while it runs. The record goes when the stream ended for
 * good; a stream this page left (`disconnected`: a reload, a closed tab) keeps it for the next.
 */
export function recordStream(store: MessageStore, conversationId: string, turn: Turn<unknown>): void {
  const name = nameOf(store);
  const { streamId } = turn.session.getSnapshot();
  if (!turn.secret || turn.session.getSnapshot().status === 'complete') return;
  const record = { messageId: turn.messageId, conversationId, streamId, secret: turn.secret, at: Date.now() };
  let ended: Message | null = null;
  const until = turn.promise.then((message) => {
    ended = message;
    if (endedForGood(message)) forgetStream(name, streamId);
  });
  // The record only once the lock is held (the browser grants it a round trip later): written
  // before, another tab could see it, find the lock still free and resume a stream this page runs.
  holdStreamLock(streamId, until, () => {
    if (ended === null || !endedForGood(ended)) rememberStream(name, record);
  });
}

/** What `watchStreams` needs of the turn controller. */
export type StreamsHost<Input, Client> = { options: TurnOptions<Input>; adopt(turn: Turn<Client>): Promise<Message> | null };

/**
 * Resumes the lane's recorded streams that no page runs (docs/resume.md, "After a reload"): each
 * on this lane, as a turn that reads the stream's log from its start into the message it was
 * streaming into. A resume that fails (the log expired) forgets the record and leaves the message.
 */
export function watchStreams<Input, Client>(host: StreamsHost<Input, Client>, store: MessageStore, conversationId: string, client: Client, runCancel: RunCancel<Client>): () => void {
  const name = nameOf(store);
  return takeOverStreams(name, conversationId, async (record) => {
    const { resumeApi } = host.options;
    if (!resumeApi || !store.getState().messages[record.messageId]) {
      forgetStream(name, record.streamId);
      return;
    }
    const turn = createResumeTurn(host, { ...host.options, store, resumeApi }, record, client, runCancel);
    const done = host.adopt(turn);
    if (done === null) return;
    const message = await done;
    if (!turn.shows?.() || endedForGood(message)) forgetStream(name, record.streamId);
  });
}
