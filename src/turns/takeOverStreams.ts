import { isStreamRecordsEvent, readStreamRecords, type StreamRecord } from './streamRecords';

/**
 * Exactly one page resumes a stream whose page is gone (docs/resume.md, "After a reload"), through
 * the Web Locks API: the page that runs a stream holds the lock named after it for as long as it
 * runs (`holdStreamLock`); every other page with a hook on the same store and conversation asks
 * for that lock (`takeOverStreams`) and waits. When the owner closes, its lock is released and the
 * browser grants it to one waiter, which resumes the stream under the same lock; the others get it
 * after that one finished and find the stream's record gone (it ended) or, if that page closed
 * too, resume in turn. After a reload the lock is free: the page resumes at once.
 *
 * Without Web Locks (old browsers, Node) a page resumes the records it finds when it mounts.
 */

/** Streams this page runs or has asked for: a second hook on the same store does not ask again. */
const claimed = new Set<string>();

type Locks = { request(name: string, callback: () => Promise<unknown>): Promise<unknown> };

function locks(): Locks | null {
  return (typeof navigator !== 'undefined' && (navigator as { locks?: Locks }).locks) || null;
}

const lockName = (streamId: string) => `react-model-stream:${streamId}`;

/** Runs `task` under the stream's lock (or at once without Web Locks); never rejects. */
function underLock(streamId: string, task: () => Promise<unknown>): Promise<unknown> {
  const api = locks();
  // Reported as `report` (core/internal/reportError) does, written out: importing it would make a
  // bundler split it into a chunk shared with the rest of the library (docs/size.md).
  return Promise.resolve(api ? api.request(lockName(streamId), task) : task()).catch((error: unknown) =>
    typeof reportError === 'function' ? reportError(error) : console.error(error),
  );
}

/**
 * The page that runs a stream holds its lock until `until` settles (another tab waits for it).
 * `onHeld` runs once the lock is held: the stream's record is written there, never before, so a
 * tab that sees the record (its `storage` event) and asks for the lock always finds it taken.
 */
export function holdStreamLock(streamId: string, until: Promise<unknown>, onHeld: () => void = () => {}): void {
  claimed.add(streamId);
  void underLock(streamId, () => {
    onHeld();
    return until.catch(() => {});
  }).finally(() => claimed.delete(streamId));
}

/**
 * Resumes, each in exactly one page, the recorded streams of `conversationId` that no page runs:
 * those found now and those another tab records later. `resume` runs under the stream's lock and
 * its promise holds the lock (it settles when the resumed stream ends). Returns the way to stop.
 */
export function takeOverStreams(name: string, conversationId: string, resume: (record: StreamRecord) => Promise<unknown>): () => void {
  let active = true;
  const claim = () => {
    for (const record of readStreamRecords(name)) {
      if (record.conversationId !== conversationId || claimed.has(record.streamId)) continue;
      claimed.add(record.streamId);
      void underLock(record.streamId, async () => {
        // The lock is ours: the page that ran the stream is gone. It may have ended meanwhile.
        const current = readStreamRecords(name).find((r) => r.streamId === record.streamId);
        if (active && current) await resume(current);
      }).finally(() => claimed.delete(record.streamId));
    }
  };
  claim();
  const onStorage = (event: StorageEvent) => {
    if (isStreamRecordsEvent(event, name)) claim();
  };
  const target = typeof window === 'undefined' ? null : window;
  target?.addEventListener('storage', onStorage);
  return () => {
    active = false;
    target?.removeEventListener('storage', onStorage);
  };
}
