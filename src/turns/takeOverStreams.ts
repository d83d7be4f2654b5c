import { isStreamRecordsEvent, readStreamRecords, type StreamRecord } from './streamRecords';

/**
 * Exactly one page resumes a stream whose page is gone (docs/resume.md, "After a reload"), through
 * the Web Locks API: the page that runs a stream holds the lock named after it for as long as it
 * runs (`holdStreamLock`); every other page with a hook on the same store and conversation asks
 * for that lock (`takeOverStreams`) and waits. When the owner closes, its lock is released and the
 * browser grants it to one waiter, which resumes the stream under the same lock; the others get it
 * after that one finished and find the stream's record gone (it ended; `markEnded` says so, for
 * a tab whose storage does not show the removal yet) or, if that page closed too, resume in turn. After a reload the lock is free: the page resumes at once.
 *
 * Without Web Locks (old browsers, Node) a page resumes the records it finds when it mounts.
 */

/** Streams this page runs or has asked for: a second hook on the same store does not ask again. */
const claimed = new Set<string>();

type Locks = {
  request(name: string, callback: () => Promise<unknown>): Promise<unknown>;
  query(): Promise<{ held?: { name?: string }[] }>;
};

/** The page's Web Locks; none without (very old browsers, Node). */
const locks = () => (globalThis.navigator as { locks?: Locks } | undefined)?.locks;

const lockName = (streamId: string) => `react-model-stream:${streamId}`;
const endedName = (streamId: string) => `${lockName(streamId)}:ended`;

/** How long a page says a stream ended (`markEnded`): far longer than `localStorage` takes between tabs. */
enum Ended { SAY_MS = 30_000 }

/**
 * Says, through the lock manager, that a stream ended for good, before its lock goes: a tab
 * waiting for that lock is granted it at once, while the record's removal reaches that tab's
 * `localStorage` later (Chromium syncs it between tabs on its own, seen in e2e/run.mjs: tab B
 * resumed tab A's complete answer "from the start"). The lock manager is one sequence for every
 * tab, so a lock held under a name of the stream's (`endedName`) is seen by that tab's `query()`
 * (`endedElsewhere`). Resolves once it is held.
 */
function markEnded(api: Locks, streamId: string): Promise<void> {
  return new Promise((held) => {
    api.request(endedName(streamId), () => {
      held();
      return new Promise((resolve) => setTimeout(resolve, Ended.SAY_MS));
    }).catch(() => held());
  });
}

/** Whether another page said that the stream ended for good (`markEnded`). */
const endedElsewhere = (api: Locks, streamId: string): Promise<boolean> =>
  api.query().then((state) => !!state.held?.some((lock) => lock.name === endedName(streamId)));

/** Runs `task` under the stream's lock (or at once without Web Locks); never rejects. */
function underLock(streamId: string, task: (api: Locks | null) => Promise<unknown>): Promise<unknown> {
  const api = locks();
  // Reported as `report` (core/internal/reportError) does, written out: importing it would make a
  // bundler split it into a chunk shared with the rest of the library (docs/size.md).
  return Promise.resolve(api ? api.request(lockName(streamId), () => task(api)) : task(null)).catch((error: unknown) =>
    typeof reportError === 'function' ? reportError(error) : console.error(error),
  );
}

/**
 * The page that runs a stream holds its lock until `until` settles (another tab waits for it), with
 * `true` when the stream ended for good (said with `markEnded` before the lock goes).
 * `onHeld` runs once the lock is held: the stream's record is written there, never before, so a
 * tab that sees the record (its `storage` event) and asks for the lock always finds it taken.
 */
export function holdStreamLock(streamId: string, until: Promise<boolean>, onHeld: () => void = () => {}): void {
  claimed.add(streamId);
  void underLock(streamId, async (api) => {
    onHeld();
    if ((await until.catch(() => false)) && api) await markEnded(api, streamId);
  }).finally(() => claimed.delete(streamId));
}

/**
 * Resumes, each in exactly one page, the recorded streams of `conversationId` that no page runs:
 * those found now and those another tab records later. `resume` runs under the stream's lock and
 * its promise holds the lock; it settles when the resumed stream ends, with `true` when it ended
 * for good. Returns the way to stop.
 */
export function takeOverStreams(name: string, conversationId: string, resume: (record: StreamRecord) => Promise<boolean>): () => void {
  let active = true;
  const claim = () => {
    for (const record of readStreamRecords(name)) {
      if (record.conversationId !== conversationId || claimed.has(record.streamId)) continue;
      claimed.add(record.streamId);
      void underLock(record.streamId, async (api) => {
        // The lock is ours: the page that ran the stream is gone, or its stream ended (it said so,
        // and forgot the record, which this page's storage may not show yet).
        const current = readStreamRecords(name).find((r) => r.streamId === record.streamId);
        if (!active || !current || (api && (await endedElsewhere(api, record.streamId)))) return;
        if ((await resume(current)) && api) await markEnded(api, record.streamId);
      }).finally(() => claimed.delete(record.streamId));
    }
  };
  claim();
  const onStorage = (event: StorageEvent) => {
    if (isStreamRecordsEvent(event, name)) claim();
  };
  const target = globalThis.window as Window | undefined;
  target?.addEventListener('storage', onStorage);
  return () => {
    active = false;
    target?.removeEventListener('storage', onStorage);
  };
}
