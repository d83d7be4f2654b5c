import type { ResumeLogEnd, ResumeLogMeta, ResumeLogStore } from '../types';
import type { CommandRunner } from './createCommandRunner';
import type { RedisKeys } from './createRedisKeys';
import { createRedisLogReader } from './createRedisLogReader';
import { createRedisLogWriter } from './createRedisLogWriter';

export type RedisLogStoreOptions = {
  command: CommandRunner['command'];
  keys: RedisKeys;
  /** How often a reader caught up looks again for entries written on another instance. */
  pollMs: number;
  isClosed(): boolean;
};

/** The Redis registry's logs, and a way to wake every waiting reader when it closes. */
export type RedisLogStore = ResumeLogStore & { close(): void };

const FRAMINGS = new Set<string>(['sse', 'ndjson', 'text']);
const ENDS = new Set<string>(['complete', 'cancelled', 'disconnected', 'error']);

/**
 * The resume logs of a Redis registry (`createRedisStreamRegistry`'s `resumeLog`), shared by every
 * instance on the same Redis: a stream runs on one, its resume may land on any. The layout is in
 * docs/resume.md ("Redis layout"). Readers on the instance that writes a log are woken by its
 * writes; readers elsewhere look again every `pollMs`.
 */
export function createRedisLogStore(options: RedisLogStoreOptions): RedisLogStore {
  const { command, keys, pollMs, isClosed } = options;
  /** Readers of this instance waiting for the next write to a stream's log, by stream id. */
  const waiting = new Map<string, Set<() => void>>();

  const wake = (streamId: string) => {
    const set = waiting.get(streamId);
    if (set === undefined) return;
    waiting.delete(streamId);
    for (const resolve of set) resolve();
  };
  const nextWrite = (streamId: string) => (ms: number, signal: AbortSignal) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        waiting.get(streamId)?.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      const set = waiting.get(streamId) ?? new Set();
      set.add(done);
      waiting.set(streamId, set);
    });

  return {
    create: (streamId, secretHash, meta, limits) => createRedisLogWriter({ command, keys, streamId, secretHash, meta, limits, written: () => wake(streamId) }),
    async open(streamId) {
      const key = keys.logMetaKey(streamId);
      const fields = await command<Array<string | null>>(key, ['HMGET', key, 'secretHash', 'contentType', 'aiSdk', 'framing', 'total', 'first', 'ended']);
      const [secretHash, contentType, aiSdk, framing, total, first, ended] = fields;
      if (!secretHash || !framing || !FRAMINGS.has(framing)) return null;
      const meta: ResumeLogMeta = { contentType: contentType || null, aiSdk: aiSdk || null, framing: framing as ResumeLogMeta['framing'] };
      const snapshot = { meta, secretHash, total: Number(total ?? 0), first: Number(first ?? 0), ended: ended && ENDS.has(ended) ? (ended as ResumeLogEnd) : null };
      return createRedisLogReader({ command, keys, streamId, snapshot, nextWrite: nextWrite(streamId), pollMs, isClosed });
    },
    close() {
      for (const streamId of [...waiting.keys()]) wake(streamId);
    },
  };
}
