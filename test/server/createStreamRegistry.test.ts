import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createStreamRegistry } from '../../src/server/createStreamRegistry';
import type { CancelReport, StreamRegistration } from '../../src/server/types';
import { registryContract } from './helpers/registryContract';

const HASH_A = 'a'.repeat(64);
const HASH_B = 'b'.repeat(64);
const REPORT: CancelReport = { usage: { inputTokens: 3, outputTokens: 4 }, usageEstimated: false };

describe('createStreamRegistry (in memory)', () => {
  registryContract({ create: async (options) => createStreamRegistry(options) });
});

/** What only the in-memory registry does: its own TTL sweeps, timers and counts. */
describe('createStreamRegistry: sweeps, timers and counts', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a cancelled stream leaves one finished marker, and a finish() after the cancel adds nothing', async () => {
    const registry = createStreamRegistry();
    const handle = (await registry.register('s1', HASH_A, () => REPORT)) as StreamRegistration;
    expect(await registry.cancel('s1', HASH_A)).toEqual({ status: 'cancelled', report: REPORT });
    handle.finish();
    expect(registry.counts()).toEqual({ streams: 0, finished: 1, tombstones: 0 });
    await registry.close();
  });

  it('keeps a finished marker for finishedTtlMs, then forgets the stream (no growth)', async () => {
    const registry = createStreamRegistry({ finishedTtlMs: 60_000, tombstoneTtlMs: 0 });
    for (let i = 0; i < 1000; i++) {
      const handle = (await registry.register(`s${i}`, HASH_A, () => REPORT)) as StreamRegistration;
      handle.finish();
    }
    expect(registry.counts()).toEqual({ streams: 0, finished: 1000, tombstones: 0 });
    expect(await registry.cancel('s1', HASH_A)).toEqual({ status: 'already-finished' });
    expect(await registry.cancel('s1', HASH_B)).toEqual({ status: 'forbidden' });
    expect(await registry.register('s1', HASH_A, () => REPORT)).toBe('conflict');
    await vi.advanceTimersByTimeAsync(60_001);
    expect(registry.counts()).toEqual({ streams: 0, finished: 0, tombstones: 0 });
    expect(await registry.cancel('s1', HASH_A)).toEqual({ status: 'not-found' });
    // The sweep timer stops once there is nothing to expire.
    expect(vi.getTimerCount()).toBe(0);
    await registry.close();
  });

  it('a tombstone expires: after its TTL it is swept and the stream registers normally', async () => {
    const registry = createStreamRegistry({ tombstoneTtlMs: 10_000 });
    await registry.cancel('s1', HASH_A);
    await registry.cancel('s2', HASH_B);
    expect(registry.counts().tombstones).toBe(2);
    await vi.advanceTimersByTimeAsync(10_001);
    expect(registry.counts().tombstones).toBe(0);
    expect(typeof (await registry.register('s1', HASH_A, () => REPORT))).toBe('object');
    await registry.close();
  });

  it('a flood of 5,000 cancels for made-up ids holds exactly maxTombstones tombstones, the oldest kept', async () => {
    const registry = createStreamRegistry({ maxTombstones: 100 });
    for (let i = 0; i < 5000; i++) await registry.cancel(`made-up-${i}`, HASH_A);
    expect(registry.counts().tombstones).toBe(100);
    expect(await registry.cancel('made-up-5000', HASH_A)).toEqual({ status: 'full' });
    // The promised (oldest) survive; the refused ones promised nothing.
    expect(await registry.register('made-up-0', HASH_A, () => REPORT)).toBe('cancelled');
    expect(typeof (await registry.register('made-up-4999', HASH_A, () => REPORT))).toBe('object');
    await registry.close();
  });

  it('refuses a nonsense maxTombstones', () => {
    expect(() => createStreamRegistry({ maxTombstones: Number.NaN })).toThrow(RangeError);
    expect(() => createStreamRegistry({ maxTombstones: -1 })).toThrow(RangeError);
  });

  it('starts no timer until there is something to expire, and close() stops it', async () => {
    const registry = createStreamRegistry();
    expect(vi.getTimerCount()).toBe(0);
    const handle = (await registry.register('s1', HASH_A, () => REPORT)) as StreamRegistration;
    expect(vi.getTimerCount()).toBe(0);
    handle.finish();
    expect(vi.getTimerCount()).toBe(1);
    await registry.close();
    expect(vi.getTimerCount()).toBe(0);
  });
});
