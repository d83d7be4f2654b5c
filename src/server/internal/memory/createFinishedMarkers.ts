import { secretHashesEqual } from '../validation';
import type { CancelReport, CancelResult } from '../../types';

/**
 * The in-memory registry's finished streams: a finished stream leaves a marker for `ttlMs`, so a
 * late cancel answers `already-finished` (not 404) and a reuse of its id answers 409. Markers
 * expire lazily on access and through the registry's sweep.
 */
export type FinishedMarkers = {
  /** The stream finished less than `ttlMs` ago. */
  has(streamId: string): boolean;
  /** Leaves a marker; `false` when markers are off (`ttlMs` ≤ 0) and none was left. */
  mark(streamId: string, secretHash: string, stopped?: CancelReport): boolean;
  /** A cancel for a finished stream: its answer, or `null` when there is no marker. */
  lateCancel(streamId: string, secretHash: string): CancelResult | null;
  sweep(now: number): void;
  size(): number;
  clear(): void;
};

/** `stopped`: what a stream stopped without a cancel knew; taken by the first late cancel. */
type Marker = { secretHash: string; expiresAt: number; stopped?: CancelReport };

export function createFinishedMarkers(ttlMs: number): FinishedMarkers {
  const markers = new Map<string, Marker>();

  const get = (streamId: string): Marker | undefined => {
    const marker = markers.get(streamId);
    if (marker && marker.expiresAt <= Date.now()) {
      markers.delete(streamId);
      return undefined;
    }
    return marker;
  };

  return {
    has: (streamId) => get(streamId) !== undefined,
    mark(streamId, secretHash, stopped) {
      if (ttlMs <= 0) return false;
      const marker: Marker = { secretHash, expiresAt: Date.now() + ttlMs };
      if (stopped) marker.stopped = stopped;
      markers.set(streamId, marker);
      return true;
    },
    lateCancel(streamId, secretHash) {
      const marker = get(streamId);
      if (!marker) return null;
      if (!secretHashesEqual(marker.secretHash, secretHash)) return { status: 'forbidden' };
      const { stopped } = marker;
      if (!stopped) return { status: 'already-finished' };
      // Stopped without a cancel (a disconnect): the first cancel learns it was stopped, once.
      delete marker.stopped;
      return { status: 'cancelled', report: stopped };
    },
    sweep(now) {
      for (const [streamId, marker] of markers) if (marker.expiresAt <= now) markers.delete(streamId);
    },
    size: () => markers.size,
    clear: () => markers.clear(),
  };
}
