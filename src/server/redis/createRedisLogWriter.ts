import type { RedisArgument } from 'redis';
import type { ResumeLogEnd, ResumeLogEntry, ResumeLogLimits, ResumeLogMeta, ResumeLogWriter } from '../types';
import type { CommandRunner } from './createCommandRunner';
import type { RedisKeys } from './createRedisKeys';
import { LOG_APPEND_SCRIPT, LOG_CREATE_SCRIPT, LOG_READ_SINCE_SCRIPT } from './logScripts';

export type RedisLogWriterOptions = {
  command: CommandRunner['command'];
  keys: RedisKeys;
  streamId: string;
  secretHash: string;
  meta: ResumeLogMeta;
  limits: ResumeLogLimits;
  /** Called after each write settles: wakes this instance's readers of the stream at once. */
  written(): void;
};

/** Most entries and bytes sent in one script call: a long backlog goes in several, in order. */
const BATCH_ENTRIES = 256;
const BATCH_BYTES = 1 << 20;

/**
 * What the writer sent and still counts as kept: the sizes of the entries in the log, oldest first,
 * so it can tell the script where to trim (`first`) without asking Redis.
 */
type Kept = { ends: number[]; sizes: number[]; head: number; bytes: number; first: number };

/** Counts a new entry and moves `first` past the oldest entries while over `maxBytes` (the newest one always stays). */
function keep(kept: Kept, entry: ResumeLogEntry, maxBytes: number): void {
  kept.ends.push(entry.end);
  kept.sizes.push(entry.data.length);
  kept.bytes += entry.data.length;
  while (kept.bytes > maxBytes && kept.head < kept.ends.length - 1) {
    kept.bytes -= kept.sizes[kept.head]!;
    kept.first = kept.ends[kept.head++]!;
  }
  // Drop the counted-out prefix now and then, so the arrays do not keep growing.
  if (kept.head > 1024 && kept.head * 2 > kept.ends.length) {
    kept.ends.splice(0, kept.head);
    kept.sizes.splice(0, kept.head);
    kept.head = 0;
  }
}

/** The next batch of queued entries: at most BATCH_ENTRIES and about BATCH_BYTES, skipping those already trimmed. */
function takeBatch(queue: ResumeLogEntry[], first: number): ResumeLogEntry[] {
  let count = 0;
  let bytes = 0;
  while (count < queue.length && count < BATCH_ENTRIES && (count === 0 || bytes + queue[count]!.data.length <= BATCH_BYTES)) {
    bytes += queue[count]!.data.length;
    count++;
  }
  return queue.splice(0, count).filter((entry) => entry.end > first);
}

const asBuffer = (data: Uint8Array) => Buffer.from(data.buffer, data.byteOffset, data.byteLength);

/**
 * One stream's log writer over Redis. `append` and `end` never throw and never wait: they queue,
 * and one script call at a time sends everything queued (in order, batched, so a fast stream costs
 * a round trip per batch, not per entry). A write that fails is not retried: the next one starts
 * past it, which the script turns into a gap (`first` moves past it), so a reader from before gets
 * a `ResumeGapError`, never a silent gap. Entries queued while Redis is slow are trimmed here too
 * (`maxBytes` holds in memory as in Redis).
 */
export function createRedisLogWriter(options: RedisLogWriterOptions): ResumeLogWriter {
  const { command, keys, streamId, secretHash, meta, limits, written } = options;
  const log = keys.logKey(streamId);
  const readers = keys.logReadersKey(streamId);
  const logKeys = [log, keys.logMetaKey(streamId), readers];
  const metaArgs = [secretHash, meta.contentType ?? '', meta.aiSdk ?? '', meta.framing];
  const kept: Kept = { ends: [], sizes: [], head: 0, bytes: 0, first: 0 };
  const queue: ResumeLogEntry[] = [];
  let created = false;
  let ending: ResumeLogEnd | null = null;
  let endSent = false;
  let busy = false;

  const next = (): RedisArgument[] | null => {
    if (!created) {
      created = true;
      return ['EVAL', LOG_CREATE_SCRIPT, '3', ...logKeys, ...metaArgs, String(limits.ttlMs)];
    }
    let batch = takeBatch(queue, kept.first);
    while (batch.length === 0 && queue.length > 0) batch = takeBatch(queue, kept.first);
    const end = queue.length === 0 && ending !== null && !endSent ? ending : '';
    if (batch.length === 0 && end === '') return null;
    if (end !== '') endSent = true;
    const args: RedisArgument[] = ['EVAL', LOG_APPEND_SCRIPT, '3', ...logKeys, String(limits.ttlMs), String(kept.first), end, ...metaArgs];
    for (const entry of batch) args.push(String(entry.start), String(entry.end), asBuffer(entry.data));
    return args;
  };
  const flush = (): void => {
    if (busy) return;
    const args = next();
    if (args === null) return;
    busy = true;
    // A failure is not retried (see above); the registry closed, Redis gone: the log simply ends there.
    void command(log, args).then(settle, settle);
  };
  const settle = () => {
    busy = false;
    written();
    flush();
  };

  flush();
  return {
    append(entry) {
      if (ending !== null) return;
      keep(kept, entry, limits.maxBytes);
      queue.push(entry);
      // Entries still queued behind a slow Redis that are trimmed already are never sent: the queue stays within maxBytes too.
      while (queue.length > 1 && queue[0]!.end <= kept.first) queue.shift();
      flush();
    },
    end(reason) {
      if (ending !== null) return;
      ending = reason;
      flush();
    },
    readSince: async (ms) => (await command(readers, ['EVAL', LOG_READ_SINCE_SCRIPT, '1', readers, String(Math.floor(ms))])) === 1,
  };
}
