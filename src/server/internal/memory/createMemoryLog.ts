import { ResumeGapError } from '../../ResumeGapError';
import type { ResumeLogEnd, ResumeLogEntry, ResumeLogLimits, ResumeLogMeta, ResumeLogReader, ResumeLogWriter } from '../../types';

/**
 * One stream's log in memory: its entries (the oldest trimmed first past `maxBytes`), who reads it,
 * and the readers waiting for the next write. The writer and every reader share this one object.
 */
export type MemoryLog = ResumeLogWriter & ResumeLogReader & {
  /** When the log may be dropped (`Infinity` while the stream runs). */
  readonly expiresAt: number;
  /** Data bytes held now. */
  heldBytes(): number;
  /** Wakes every waiting reader for good (the registry closes). */
  close(): void;
};

/** Everything that changes in one log, in one place. */
type LogState = {
  readonly entries: ResumeLogEntry[];
  /** The index of the first entry kept (those before it were trimmed). */
  head: number;
  /** Data bytes kept. */
  bytes: number;
  total: number;
  first: number;
  ended: ResumeLogEnd | null;
  expiresAt: number;
  readers: number;
  lastReadAt: number;
  closed: boolean;
  /** Readers waiting for the next write. */
  waiters: Array<() => void>;
};

/** The index of the first kept entry whose end is past `after`. */
function firstAfter(state: LogState, after: number): number {
  let low = state.head;
  let high = state.entries.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (state.entries[mid]!.end > after) high = mid;
    else low = mid + 1;
  }
  return low;
}

function wake(state: LogState): void {
  if (state.waiters.length === 0) return;
  const woken = state.waiters;
  state.waiters = [];
  for (const resolve of woken) resolve();
}

/** Drops the oldest entries past `maxBytes` (always keeping the last one). */
function trim(state: LogState, maxBytes: number): void {
  while (state.bytes > maxBytes && state.head < state.entries.length - 1) {
    const dropped = state.entries[state.head++]!;
    state.bytes -= dropped.data.length;
    state.first = dropped.end;
  }
  // Drop the trimmed prefix now and then, so the array does not keep growing.
  if (state.head > 1024 && state.head * 2 > state.entries.length) {
    state.entries.splice(0, state.head);
    state.head = 0;
  }
}

/** Resolves on the next write, the log's end or close, or `signal`'s abort. */
function nextWrite(state: LogState, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    state.waiters.push(done);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** A reader: the entries past `after`, by position (so a trim between two reads is seen), then the live ones. */
async function* read(state: LogState, after: number, signal: AbortSignal): AsyncGenerator<ResumeLogEntry> {
  state.readers++;
  let position = after;
  try {
    for (;;) {
      if (signal.aborted || state.closed) return;
      if (state.first > position) throw new ResumeGapError(position, state.first);
      const index = firstAfter(state, position);
      if (index < state.entries.length) {
        const entry = state.entries[index]!;
        position = entry.end;
        yield entry;
      } else if (state.ended !== null) {
        return;
      } else {
        await nextWrite(state, signal);
      }
    }
  } finally {
    state.readers--;
    state.lastReadAt = Date.now();
  }
}

export function createMemoryLog(meta: ResumeLogMeta, secretHash: string, limits: ResumeLogLimits): MemoryLog {
  const state: LogState = { entries: [], head: 0, bytes: 0, total: 0, first: 0, ended: null, expiresAt: Infinity, readers: 0, lastReadAt: -Infinity, closed: false, waiters: [] };
  return {
    meta,
    secretHash,
    get total() {
      return state.total;
    },
    get first() {
      return state.first;
    },
    get ended() {
      return state.ended;
    },
    get expiresAt() {
      return state.expiresAt;
    },
    append(entry) {
      if (state.ended !== null) return;
      state.entries.push(entry);
      state.bytes += entry.data.length;
      state.total = entry.end;
      trim(state, limits.maxBytes);
      wake(state);
    },
    end(reason) {
      if (state.ended !== null) return;
      state.ended = reason;
      state.expiresAt = Date.now() + limits.ttlMs;
      wake(state);
    },
    readSince: async (ms) => state.readers > 0 || Date.now() - state.lastReadAt <= ms,
    entries: (after, signal) => read(state, after, signal),
    heldBytes: () => state.bytes,
    close() {
      state.closed = true;
      wake(state);
    },
  };
}
