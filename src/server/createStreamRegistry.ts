import { createMemoryLogStore, type MemoryLogStore } from './internal/memory/createMemoryLogStore';
import { createFinishedMarkers } from './internal/memory/createFinishedMarkers';
import { createSweepTimer } from './internal/memory/createSweepTimer';
import { createTombstoneSet } from './internal/memory/createTombstoneSet';
import { secretHashesEqual } from './internal/validation';
import type { CancelListener, CancelReport, CancelResult, RegisterResult, StreamRegistry } from './types';

export type StreamRegistryOptions = {
  /** How long a finished stream answers a late cancel with `already-finished` (and refuses its id). Default 60 000 ms. */
  finishedTtlMs?: number;
  /**
   * How long a cancel that arrived before its stream waits for it (a tombstone). Default 10 000 ms.
   * `0` turns tombstones off: such a cancel then answers 404.
   */
  tombstoneTtlMs?: number;
  /**
   * Most tombstones kept at once (default 10 000: about 2.5 MiB, ≈ 265 bytes each measured). At the
   * cap, expired ones are swept first; if none has expired, the new cancel is refused with
   * `{ status: 'full' }` (`handleCancel` answers `503 {"status":"full"}` with `Retry-After: 1`)
   * rather than evicting a tombstone already answered `pending`: a flood of cancels for made-up ids
   * can neither grow memory nor make a promised cancel fail silently. Renewing a tombstone that is
   * already there (the same id and secret again) never needs room.
   *
   * @example
   * ```ts
   * // room for 50 000 cancels that beat their stream within the 10 s TTL: about 13 MiB at most
   * const registry = createStreamRegistry({ maxTombstones: 50_000 });
   * ```
   */
  maxTombstones?: number;
};

/** The in-memory registry, with counters for tests and monitoring. */
export type InMemoryStreamRegistry = StreamRegistry & {
  /** Live streams, finished markers and tombstones currently held (expired entries are swept first). */
  counts(): { streams: number; finished: number; tombstones: number };
  /** The streams' resume logs (docs/resume.md), with what they hold. */
  readonly resumeLog: MemoryLogStore;
};

type LiveEntry = { secretHash: string; onCancel: CancelListener };

/** `maxTombstones` by default: about 2.5 MiB of tombstones (measured: test/heap/tombstones.test.ts). */
export const DEFAULT_MAX_TOMBSTONES = 10_000;

/** What a cancel answers when the stream has not registered yet: it will be cancelled the moment it does. */
const PENDING_REPORT: CancelReport = { usage: null, usageEstimated: false };

/** The options with their defaults; a `maxTombstones` that is not a number ≥ 0 throws at once. */
function withDefaults(options: StreamRegistryOptions): Required<StreamRegistryOptions> {
  const maxTombstones = options.maxTombstones ?? DEFAULT_MAX_TOMBSTONES;
  if (typeof maxTombstones !== 'number' || !(maxTombstones >= 0)) {
    throw new RangeError(`createStreamRegistry: maxTombstones must be a number ≥ 0, not ${String(maxTombstones)}.`);
  }
  return { finishedTtlMs: options.finishedTtlMs ?? 60_000, tombstoneTtlMs: options.tombstoneTtlMs ?? 10_000, maxTombstones };
}

/**
 * Stops a live stream for a cancel: `already-finished` when its listener says it was late; one that
 * throws (or rejects) still stopped it. A listener's promise is awaited (`cancelUpstream`).
 */
async function stopLive(entry: LiveEntry): Promise<CancelResult> {
  let report: CancelReport | null;
  try {
    report = await entry.onCancel();
  } catch {
    report = { usage: null, usageEstimated: false };
  }
  return report === null ? { status: 'already-finished' } : { status: 'cancelled', report };
}

/**
 * Creates the in-memory stream registry, the default for a single server process. Live streams are
 * held until they finish; a finished stream leaves a marker for `finishedTtlMs` so a late cancel
 * answers `already-finished`; a cancel for an unknown id leaves a tombstone for `tombstoneTtlMs`.
 * Markers and tombstones expire lazily on access and through one unref'd sweep timer that runs
 * only while there is something to expire, so the registry never grows without bound and never
 * keeps a process alive. For several instances behind a load balancer use
 * `createRedisStreamRegistry` from `react-model-stream/server/redis`.
 *
 * @example
 * ```ts
 * // app/api/registry.ts: one registry per server process
 * import { createStreamRegistry } from 'react-model-stream/server';
 * export const registry = createStreamRegistry();
 * ```
 */
export function createStreamRegistry(options: StreamRegistryOptions = {}): InMemoryStreamRegistry {
  const { finishedTtlMs, tombstoneTtlMs, maxTombstones } = withDefaults(options);
  const live = new Map<string, LiveEntry>();
  const finished = createFinishedMarkers(finishedTtlMs);
  const tombstones = createTombstoneSet(tombstoneTtlMs, maxTombstones);
  const sweeper = createSweepTimer(Math.max(250, Math.min(finishedTtlMs, tombstoneTtlMs || finishedTtlMs) / 2), (now) => {
    finished.sweep(now);
    tombstones.sweep(now);
    return finished.size() > 0 || tombstones.size() > 0;
  });
  let closed = false;
  const resumeLog = createMemoryLogStore();

  const markFinished = (streamId: string, secretHash: string, stopped?: CancelReport) => {
    if (finished.mark(streamId, secretHash, stopped)) sweeper.ensure();
  };

  return {
    resumeLog,
    async register(streamId, secretHash, onCancel): Promise<RegisterResult> {
      if (live.has(streamId) || finished.has(streamId)) return 'conflict';
      if (tombstones.take(streamId, secretHash)) {
        markFinished(streamId, secretHash);
        return 'cancelled';
      }
      const entry: LiveEntry = { secretHash, onCancel };
      live.set(streamId, entry);
      return {
        streamId,
        finish(stopped) {
          // Only the registration that owns the entry may end it (a cancel may have ended it first).
          if (live.get(streamId) !== entry) return;
          live.delete(streamId);
          markFinished(streamId, secretHash, stopped);
        },
      };
    },

    async cancel(streamId, secretHash, cancelOptions): Promise<CancelResult> {
      const entry = live.get(streamId);
      if (entry) {
        if (!secretHashesEqual(entry.secretHash, secretHash)) return { status: 'forbidden' };
        // Leave the live set before calling out, so a second cancel answers already-finished.
        live.delete(streamId);
        markFinished(streamId, entry.secretHash);
        return stopLive(entry);
      }
      const late = finished.lateCancel(streamId, secretHash);
      if (late) return late;
      if (tombstoneTtlMs <= 0 || closed || cancelOptions?.tombstone === false) return { status: 'not-found' };
      if (tombstones.leave(streamId, secretHash) === 'full') return { status: 'full' };
      sweeper.ensure();
      return { status: 'cancelled', report: PENDING_REPORT, pending: true };
    },

    size() {
      return live.size;
    },

    counts() {
      sweeper.sweep();
      return { streams: live.size, finished: finished.size(), tombstones: tombstones.size() };
    },

    async close() {
      closed = true;
      sweeper.close();
      live.clear();
      finished.clear();
      tombstones.clear();
      resumeLog.close();
    },
  };
}
