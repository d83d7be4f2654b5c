import { ResumeGapError } from '../ResumeGapError';
import type { ResumeLogEnd, ResumeLogEntry, ResumeLogMeta, ResumeLogReader } from '../types';
import type { CommandRunner } from './createCommandRunner';
import type { RedisKeys } from './createRedisKeys';
import { LOG_BEAT_SCRIPT, LOG_READ_SCRIPT } from './logScripts';

/** The log's hash as `open` found it. */
export type RedisLogSnapshot = {
  readonly meta: ResumeLogMeta;
  readonly secretHash: string;
  readonly total: number;
  readonly first: number;
  readonly ended: ResumeLogEnd | null;
};

export type RedisLogReaderOptions = {
  command: CommandRunner['command'];
  keys: RedisKeys;
  streamId: string;
  snapshot: RedisLogSnapshot;
  /** Resolves on this instance's next write to the stream's log, after `ms`, or on `signal`'s abort. */
  nextWrite(ms: number, signal: AbortSignal): Promise<void>;
  /** How long a reader waits between two looks at a log with nothing new (a write on another instance). */
  pollMs: number;
  isClosed(): boolean;
};

/** Entries per look: a replay comes in pieces, each one round trip. */
const READ_COUNT = '128';
/** A reader's lease: renewed every third of it while it reads, so a crashed reader stops counting soon. */
const LEASE_MS = 3000;

/** What one look at the log found: `null` when the log is gone (expired, or Redis lost it). */
type Look = { total: number; first: number; ended: boolean; entries: ResumeLogEntry[] } | null;

type Bulk = Buffer | null;
type ReadReply = [Bulk, Bulk, Bulk, Array<[Buffer, Buffer[]]>] | null;

/** An entry of the Redis Stream (`[id, ['s', start, 'd', data]]`, id `<end>-0`) as a log entry, its bytes copied out of the reply. */
function toEntry([id, fields]: [Buffer, Buffer[]]): ResumeLogEntry {
  let start = 0;
  let data = new Uint8Array(0);
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i]!.toString();
    if (name === 's') start = Number(fields[i + 1]!.toString());
    else if (name === 'd') data = new Uint8Array(fields[i + 1]!);
  }
  const end = Number(id.toString().split('-')[0]);
  return { start, end, data };
}

/** Errors a log that vanished under its reader (its ttl ran out with no write: a crashed writer; Redis lost it). */
const gone = () => new Error("The stream's resume log is gone (expired, or lost by Redis): the rest cannot be resumed.");

/**
 * A stream's log as a resume reads it from Redis: the meta from `open`, and `entries`, which looks
 * at the log (the meta and the next entries in one script, so a trim cannot slip between them),
 * yields what it finds, and when it is caught up waits for the next write: at once when the writer
 * is on this instance, else by looking again every `pollMs` (no connection is held open for it).
 * While reading it holds a lease in the log's readers set (the detached bound asks it). A Redis
 * error rejects the iterator: the resume's body errors and the client resumes again.
 */
export function createRedisLogReader(options: RedisLogReaderOptions): ResumeLogReader {
  const { command, keys, streamId, snapshot, nextWrite, pollMs, isClosed } = options;
  const logKeys = [keys.logKey(streamId), keys.logMetaKey(streamId), keys.logReadersKey(streamId)];
  const readers = logKeys[2]!;
  const readerId = crypto.randomUUID();

  const look = async (after: number): Promise<Look> => {
    const reply = await command<ReadReply>(logKeys[0], ['EVAL', LOG_READ_SCRIPT, '3', ...logKeys, `${after + 1}-0`, READ_COUNT, readerId, String(LEASE_MS)], undefined, true);
    if (reply === null || reply[0] === null) return null;
    const ended = reply[2] !== null && reply[2].length > 0;
    return { total: Number(reply[0].toString()), first: Number(reply[1]?.toString() ?? 0), ended, entries: reply[3].map(toEntry) };
  };
  const beat = (leaseMs: number) => command(readers, ['EVAL', LOG_BEAT_SCRIPT, '1', readers, readerId, String(leaseMs)]).catch(() => {});

  async function* entries(after: number, signal: AbortSignal): AsyncGenerator<ResumeLogEntry> {
    let position = after;
    // A client that reads slowly holds the body's pulls back: the lease is renewed meanwhile.
    const heartbeat = setInterval(() => void beat(LEASE_MS), LEASE_MS / 3);
    (heartbeat as { unref?: () => void }).unref?.();
    // A consumer that aborts and never resumes the iterator (its `finally` never runs) stops it too.
    const stopBeating = () => clearInterval(heartbeat);
    signal.addEventListener('abort', stopBeating, { once: true });
    try {
      for (;;) {
        if (signal.aborted || isClosed()) return;
        const found = await look(position);
        if (found === null) throw gone();
        if (found.first > position) throw new ResumeGapError(position, found.first);
        if (found.entries.length > 0) {
          if (found.entries[0]!.start > position) throw new ResumeGapError(position, found.entries[0]!.start);
          for (const entry of found.entries) {
            position = entry.end;
            yield entry;
            if (signal.aborted) return;
          }
        } else if (found.ended) {
          if (position < found.total) throw new ResumeGapError(position, found.total);
          return;
        } else {
          await nextWrite(pollMs, signal);
        }
      }
    } finally {
      stopBeating();
      signal.removeEventListener('abort', stopBeating);
      // The lease becomes the time of this last read (the detached bound counts it for its window).
      if (!isClosed()) void beat(0);
    }
  }

  return { ...snapshot, entries: (after, signal) => entries(after, signal) };
}
