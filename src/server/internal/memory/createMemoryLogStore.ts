import type { ResumeLogStore } from '../../types';
import { createMemoryLog, type MemoryLog } from './createMemoryLog';
import { createSweepTimer } from './createSweepTimer';

/** The in-memory registry's logs, with a way to count and drop them. */
export type MemoryLogStore = ResumeLogStore & {
  /** Logs held (live streams' and ended ones' not yet expired). */
  size(): number;
  /** Data bytes held across all logs. */
  bytes(): number;
  close(): void;
};

/**
 * The in-memory resume logs of one process (`createStreamRegistry`'s `resumeLog`). A log is created
 * when its stream starts answering and dropped `ttlMs` after its stream ended, by one unref'd sweep
 * timer. A new stream with the id of a log still held replaces it (the registry refuses reused ids
 * for as long as it remembers them).
 */
export function createMemoryLogStore(sweepIntervalMs = 1000): MemoryLogStore {
  const logs = new Map<string, MemoryLog>();
  const sweeper = createSweepTimer(sweepIntervalMs, (now) => {
    for (const [streamId, log] of logs) {
      if (log.expiresAt <= now) {
        log.close();
        logs.delete(streamId);
      }
    }
    return logs.size > 0;
  });

  return {
    create(streamId, secretHash, meta, limits) {
      logs.get(streamId)?.close();
      const log = createMemoryLog(meta, secretHash, limits);
      logs.set(streamId, log);
      sweeper.ensure();
      return log;
    },
    async open(streamId) {
      const log = logs.get(streamId);
      if (log === undefined || log.expiresAt <= Date.now()) return null;
      return log;
    },
    size: () => logs.size,
    bytes() {
      let sum = 0;
      for (const log of logs.values()) sum += log.heldBytes();
      return sum;
    },
    close() {
      sweeper.close();
      for (const log of logs.values()) log.close();
      logs.clear();
    },
  };
}
