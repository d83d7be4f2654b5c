import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CancelReport, StreamRegistration, StreamRegistry } from '../../../src/server/types';

/** Options every registry under test understands. */
export type ContractRegistryOptions = { maxTombstones?: number };

export type RegistryContractSetup = {
  /** A new, ready registry (tombstones on, default TTLs unless `options` says otherwise). */
  create(options?: ContractRegistryOptions): Promise<StreamRegistry>;
  /** Runs after each test, once every registry it created is closed (e.g. flush Redis). */
  teardown?(): Promise<void>;
};

const HASH_A = 'a'.repeat(64);
const HASH_B = 'b'.repeat(64);
const REPORT: CancelReport = { usage: { inputTokens: 3, outputTokens: 4 }, usageEstimated: false };
const UNKNOWN_USAGE: CancelReport = { usage: null, usageEstimated: false };

function registered(result: Awaited<ReturnType<StreamRegistry['register']>>): StreamRegistration {
  if (typeof result === 'string') throw new Error(`register answered ${result}`);
  return result;
}

/**
 * The `StreamRegistry` contract (src/server/types.ts), declared as tests inside the caller's
 * `describe`. Every registry (in-memory, Redis, Redis Cluster) must pass it unchanged; what only one
 * implementation does (TTL sweeps, pub/sub across instances, restarts) is tested in its own file.
 */
export function registryContract(setup: RegistryContractSetup | (() => RegistryContractSetup)): void {
  const open: StreamRegistry[] = [];
  const get = () => (typeof setup === 'function' ? setup() : setup);
  const newRegistry = async (options?: ContractRegistryOptions) => {
    const registry = await get().create(options);
    open.push(registry);
    return registry;
  };
  /** A fresh stream id per test, so no test depends on another's leftovers. */
  const id = (name: string) => `${name}-${randomUUID()}`;

  afterEach(async () => {
    for (const registry of open.splice(0)) await registry.close();
    await get().teardown?.();
  });

  describe('StreamRegistry contract', () => {
    it('registers a stream under its id and counts it as live', async () => {
      const registry = await newRegistry();
      const streamId = id('s');
      const handle = registered(await registry.register(streamId, HASH_A, () => REPORT));
      expect(handle.streamId).toBe(streamId);
      expect(registry.size()).toBe(1);
    });

    it('answers conflict to a second registration of an id in use, whatever its secret', async () => {
      const registry = await newRegistry();
      const streamId = id('s');
      registered(await registry.register(streamId, HASH_A, () => REPORT));
      expect(await registry.register(streamId, HASH_B, () => REPORT)).toBe('conflict');
      expect(await registry.register(streamId, HASH_A, () => REPORT)).toBe('conflict');
      expect(registry.size()).toBe(1);
    });

    it('refuses a cancel with the wrong secret (forbidden) and leaves the stream running', async () => {
      const registry = await newRegistry();
      const streamId = id('s');
      const onCancel = vi.fn(() => REPORT);
      registered(await registry.register(streamId, HASH_A, onCancel));
      expect(await registry.cancel(streamId, HASH_B)).toEqual({ status: 'forbidden' });
      expect(onCancel).not.toHaveBeenCalled();
      expect(registry.size()).toBe(1);
    });

    it('cancels with the right secret: onCancel runs once, its report is the answer, the stream is no longer live', async () => {
      const registry = await newRegistry();
      const streamId = id('s');
      const onCancel = vi.fn(() => REPORT);
      const handle = registered(await registry.register(streamId, HASH_A, onCancel));
      expect(await registry.cancel(streamId, HASH_A)).toEqual({ status: 'cancelled', report: REPORT });
      expect(onCancel).toHaveBeenCalledTimes(1);
      expect(registry.size()).toBe(0);
      // A second cancel finds it finished, and does not call onCancel again.
      expect(await registry.cancel(streamId, HASH_A)).toEqual({ status: 'already-finished' });
      expect(onCancel).toHaveBeenCalledTimes(1);
      // finish() after a cancel has nothing left to do.
      await handle.finish();
      expect(registry.size()).toBe(0);
      expect(await registry.cancel(streamId, HASH_A)).toEqual({ status: 'already-finished' });
    });

    it('answers already-finished when onCancel says the stream ended first (a cancel racing the last byte)', async () => {
      const registry = await newRegistry();
      const streamId = id('s');
      registered(await registry.register(streamId, HASH_A, () => null));
      expect(await registry.cancel(streamId, HASH_A)).toEqual({ status: 'already-finished' });
    });

    it('a cancel whose onCancel throws still cancels, with the usage unknown', async () => {
      const registry = await newRegistry();
      const streamId = id('s');
      registered(
        await registry.register(streamId, HASH_A, () => {
          throw new Error('boom');
        }),
      );
      expect(await registry.cancel(streamId, HASH_A)).toEqual({ status: 'cancelled', report: UNKNOWN_USAGE });
    });

    it('a finished stream: its cancel answers already-finished (forbidden with the wrong secret) and its id answers conflict', async () => {
      const registry = await newRegistry();
      const streamId = id('s');
      const handle = registered(await registry.register(streamId, HASH_A, () => REPORT));
      await handle.finish();
      expect(registry.size()).toBe(0);
      expect(await registry.cancel(streamId, HASH_A)).toEqual({ status: 'already-finished' });
      expect(await registry.cancel(streamId, HASH_B)).toEqual({ status: 'forbidden' });
      expect(await registry.register(streamId, HASH_A, () => REPORT)).toBe('conflict');
    });

    it('a stream finished as stopped (its client went away): the first late cancel with the right secret answers cancelled with its report, once', async () => {
      const registry = await newRegistry();
      const streamId = id('s');
      const handle = registered(await registry.register(streamId, HASH_A, () => null));
      await handle.finish(REPORT);
      expect(registry.size()).toBe(0);
      expect(await registry.cancel(streamId, HASH_B)).toEqual({ status: 'forbidden' });
      expect(await registry.cancel(streamId, HASH_A)).toEqual({ status: 'cancelled', report: REPORT });
      expect(await registry.cancel(streamId, HASH_A)).toEqual({ status: 'already-finished' });
    });

    it('a cancel for an unknown id leaves a tombstone (pending): the stream registering with the same secret is cancelled at register', async () => {
      const registry = await newRegistry();
      const streamId = id('s');
      expect(await registry.cancel(streamId, HASH_A)).toEqual({ status: 'cancelled', report: UNKNOWN_USAGE, pending: true });
      expect(await registry.register(streamId, HASH_A, () => REPORT)).toBe('cancelled');
      expect(registry.size()).toBe(0);
    });

    it('a tombstone left with another secret neither cancels the stream nor stands in its way', async () => {
      const registry = await newRegistry();
      const streamId = id('s');
      expect(await registry.cancel(streamId, HASH_B)).toMatchObject({ status: 'cancelled', pending: true });
      const onCancel = vi.fn(() => REPORT);
      registered(await registry.register(streamId, HASH_A, onCancel));
      expect(registry.size()).toBe(1);
      expect(onCancel).not.toHaveBeenCalled();
      expect(await registry.cancel(streamId, HASH_A)).toEqual({ status: 'cancelled', report: REPORT });
    });

    it('cancel(…, { tombstone: false }) for an unknown id answers not-found and leaves no tombstone; a live stream is still cancelled', async () => {
      const registry = await newRegistry();
      const streamId = id('s');
      expect(await registry.cancel(streamId, HASH_A, { tombstone: false })).toEqual({ status: 'not-found' });
      registered(await registry.register(streamId, HASH_A, () => REPORT));
      expect(registry.size()).toBe(1);
      expect(await registry.cancel(streamId, HASH_A, { tombstone: false })).toEqual({ status: 'cancelled', report: REPORT });
    });

    it('at maxTombstones a cancel for an unknown id answers full and promises nothing; the promised tombstones survive', async () => {
      const registry = await newRegistry({ maxTombstones: 5 });
      const promised = Array.from({ length: 5 }, () => id('made-up'));
      for (const streamId of promised) expect(await registry.cancel(streamId, HASH_A)).toMatchObject({ status: 'cancelled', pending: true });
      const refused = id('made-up');
      expect(await registry.cancel(refused, HASH_A)).toEqual({ status: 'full' });
      expect(await registry.register(promised[0]!, HASH_A, () => REPORT)).toBe('cancelled');
      registered(await registry.register(refused, HASH_A, () => REPORT));
      expect(registry.size()).toBe(1);
    });

    describe('an async CancelListener (handleModelStream with cancelUpstream)', () => {
      const UPSTREAM_REPORT: CancelReport = { ...REPORT, upstreamCancelled: true };

      it('the cancel answer waits for its promise and carries what it resolved to; the stream leaves the live set at once', async () => {
        const registry = await newRegistry();
        const streamId = id('s');
        let resolve!: (report: CancelReport) => void;
        const onCancel = vi.fn(() => new Promise<CancelReport>((r) => (resolve = r)));
        registered(await registry.register(streamId, HASH_A, onCancel));
        let answered = false;
        const answer = registry.cancel(streamId, HASH_A).then((result) => {
          answered = true;
          return result;
        });
        await vi.waitFor(() => expect(onCancel).toHaveBeenCalledTimes(1));
        await new Promise((r) => setTimeout(r, 50));
        expect(answered).toBe(false);
        expect(registry.size()).toBe(0);
        resolve(UPSTREAM_REPORT);
        expect(await answer).toEqual({ status: 'cancelled', report: UPSTREAM_REPORT });
        expect(onCancel).toHaveBeenCalledTimes(1);
        expect(await registry.cancel(streamId, HASH_A)).toEqual({ status: 'already-finished' });
      });

      it('a second cancel while the first one waits answers already-finished and calls nothing', async () => {
        const registry = await newRegistry();
        const streamId = id('s');
        let resolve!: (report: CancelReport) => void;
        const onCancel = vi.fn(() => new Promise<CancelReport>((r) => (resolve = r)));
        registered(await registry.register(streamId, HASH_A, onCancel));
        const first = registry.cancel(streamId, HASH_A);
        await vi.waitFor(() => expect(onCancel).toHaveBeenCalledTimes(1));
        const second = await registry.cancel(streamId, HASH_A);
        // In memory and on Redis before the owner stored its answer: the stream is over either way.
        expect(['already-finished', 'cancelled']).toContain(second.status);
        resolve({ ...REPORT, upstreamCancelled: false });
        expect(await first).toEqual({ status: 'cancelled', report: { ...REPORT, upstreamCancelled: false } });
        expect(onCancel).toHaveBeenCalledTimes(1);
      });

      it('a promise of null answers already-finished; a rejected one still cancelled, with the usage unknown', async () => {
        const registry = await newRegistry();
        const late = id('late');
        registered(await registry.register(late, HASH_A, async () => null));
        expect(await registry.cancel(late, HASH_A)).toEqual({ status: 'already-finished' });
        const failing = id('failing');
        registered(await registry.register(failing, HASH_A, () => Promise.reject(new Error('boom'))));
        expect(await registry.cancel(failing, HASH_A)).toEqual({ status: 'cancelled', report: UNKNOWN_USAGE });
      });
    });
  });
}
