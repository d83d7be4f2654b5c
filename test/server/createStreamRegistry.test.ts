import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createStreamRegistry } from '../../src/server/createStreamRegistry';
import type { CancelReport, StreamRegistration } from '../../src/server/types';

const HASH_A = 'a'.repeat(64);
const HASH_B = 'b'.repeat(64);
const REPORT: CancelReport = { usage: { inputTokens: 3, outputTokens: 4 }, usageEstimated: false };

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('createStreamRegistry', () => {
  it('registers, refuses a second registration of the id, and cancels with the right secret only', async () => {
    const registry = createStreamRegistry();
    const onCancel = vi.fn(() => REPORT);
    const handle = (await registry.register('s1', HASH_A, onCancel)) as StreamRegistration;
    expect(handle.streamId).toBe('s1');
    expect(await registry.register('s1', HASH_B, () => REPORT)).toBe('conflict');
    expect(registry.size()).toBe(1);
    expect(await registry.cancel('s1', HASH_B)).toEqual({ status: 'forbidden' });
    expect(onCancel).not.toHaveBeenCalled();
    expect(await registry.cancel('s1', HASH_A)).toEqual({ status: 'cancelled', report: REPORT });
    expect(onCancel).toHaveBeenCalledTimes(1);
    expect(registry.size()).toBe(0);
    expect(await registry.cancel('s1', HASH_A)).toEqual({ status: 'already-finished' });
    expect(onCancel).toHaveBeenCalledTimes(1);
    handle.finish(); // after a cancel: nothing left to do
    expect(registry.counts()).toEqual({ streams: 0, finished: 1, tombstones: 0 });
    await registry.close();
  });

  it('a stream finished as stopped (its client went away): the first late cancel answers cancelled with its report, once', async () => {
    const registry = createStreamRegistry();
    const handle = (await registry.register('s1', HASH_A, () => null)) as StreamRegistration;
    handle.finish(REPORT);
    expect(registry.size()).toBe(0);
    expect(await registry.cancel('s1', HASH_B)).toEqual({ status: 'forbidden' });
    expect(await registry.cancel('s1', HASH_A)).toEqual({ status: 'cancelled', report: REPORT });
    expect(await registry.cancel('s1', HASH_A)).toEqual({ status: 'already-finished' });
    // A plain finish keeps answering already-finished.
    const plain = (await registry.register('s2', HASH_A, () => null)) as StreamRegistration;
    plain.finish();
    expect(await registry.cancel('s2', HASH_A)).toEqual({ status: 'already-finished' });
    await registry.close();
  });

  it('answers already-finished when onCancel says the stream ended first (a cancel racing the last byte)', async () => {
    const registry = createStreamRegistry();
    await registry.register('s1', HASH_A, () => null);
    expect(await registry.cancel('s1', HASH_A)).toEqual({ status: 'already-finished' });
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

  it('leaves a tombstone for an unknown id: the same id and secret registering within the TTL is cancelled', async () => {
    const registry = createStreamRegistry({ tombstoneTtlMs: 10_000 });
    expect(await registry.cancel('s1', HASH_A)).toEqual({ status: 'cancelled', report: { usage: null, usageEstimated: false }, pending: true });
    // Another secret's tombstone does not stand in the way of the real one, nor cancel the stream.
    expect(await registry.cancel('s2', HASH_B)).toMatchObject({ status: 'cancelled', pending: true });
    expect(await registry.register('s1', HASH_A, () => REPORT)).toBe('cancelled');
    expect(registry.size()).toBe(0);
    const s2 = (await registry.register('s2', HASH_A, () => REPORT)) as StreamRegistration;
    expect(typeof s2).toBe('object');
    expect(registry.size()).toBe(1);
    await vi.advanceTimersByTimeAsync(10_001);
    expect(registry.counts().tombstones).toBe(0);
    await registry.close();
  });

  it('a tombstone expires: after its TTL the stream registers normally', async () => {
    const registry = createStreamRegistry({ tombstoneTtlMs: 10_000 });
    await registry.cancel('s1', HASH_A);
    await vi.advanceTimersByTimeAsync(10_001);
    expect(typeof (await registry.register('s1', HASH_A, () => REPORT))).toBe('object');
    await registry.close();
  });

  it('bounds the tombstones: a flood of cancels for made-up ids keeps at most maxTombstones, refusing the newcomers (full)', async () => {
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

  it('an onCancel that throws still cancels (usage unknown)', async () => {
    const registry = createStreamRegistry();
    await registry.register('s1', HASH_A, () => {
      throw new Error('boom');
    });
    expect(await registry.cancel('s1', HASH_A)).toEqual({ status: 'cancelled', report: { usage: null, usageEstimated: false } });
    await registry.close();
  });
});
