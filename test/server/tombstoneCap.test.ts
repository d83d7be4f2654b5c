import { afterEach, describe, expect, it, vi } from 'vitest';
import { createStreamRegistry, type InMemoryStreamRegistry } from '../../src/server/createStreamRegistry';
import { handleCancel } from '../../src/server/handleCancel';
import { hashSecret } from '../../src/server/internal/validation';
import type { CancelReport } from '../../src/server/types';
import { createManualUpstream } from './helpers/fakeUpstream';
import { newStream, streamHeaders } from './helpers/http';
import { setup, type Setup } from './helpers/setup';

// Issue point 5, "Tombstones bounded, never silently dropped": at the cap a new tombstone is
// refused (`full`, 503) instead of evicting one already answered "pending".

const HASH = 'a'.repeat(64);
const REPORT: CancelReport = { usage: { inputTokens: 1, outputTokens: 2 }, usageEstimated: false };
const PENDING = { status: 'cancelled', report: { usage: null, usageEstimated: false }, pending: true };

let current: Setup | null = null;
const registries: InMemoryStreamRegistry[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await current?.teardown();
  current = null;
  await Promise.all(registries.splice(0).map((registry) => registry.close()));
});

function newRegistry(options: Parameters<typeof createStreamRegistry>[0]) {
  const registry = createStreamRegistry(options);
  registries.push(registry);
  return registry;
}

describe('tombstones at their cap', () => {
  it('a flood of made-up ids does not evict a promised tombstone: the newcomer is refused with full', async () => {
    const registry = newRegistry({ maxTombstones: 100 });
    expect(await registry.cancel('promised', HASH)).toEqual(PENDING);
    for (let i = 1; i < 100; i++) expect(await registry.cancel(`made-up-${i}`, HASH)).toEqual(PENDING);
    for (let i = 100; i < 5000; i++) expect(await registry.cancel(`made-up-${i}`, HASH)).toEqual({ status: 'full' });
    expect(registry.counts().tombstones).toBe(100);
    // Renewing a tombstone that is already there takes no room: still pending.
    expect(await registry.cancel('made-up-7', HASH)).toEqual(PENDING);
    // The promise holds: the stream that registers is cancelled at once.
    expect(await registry.register('promised', HASH, () => REPORT)).toBe('cancelled');
    // A refused one promised nothing: its stream runs.
    expect(typeof (await registry.register('made-up-100', HASH, () => REPORT))).toBe('object');
    // The slot the promised tombstone left is free again.
    expect(await registry.cancel('newcomer', HASH)).toEqual(PENDING);
  });

  it('expired tombstones are swept first, so a full registry takes new ones once the old have expired', async () => {
    vi.useFakeTimers();
    const registry = newRegistry({ maxTombstones: 10, tombstoneTtlMs: 10_000 });
    for (let i = 0; i < 10; i++) await registry.cancel(`old-${i}`, HASH);
    expect(await registry.cancel('one-more', HASH)).toEqual({ status: 'full' });
    vi.setSystemTime(Date.now() + 10_001); // expired, the sweep timer not run yet
    expect(await registry.cancel('one-more', HASH)).toEqual(PENDING);
    expect(registry.counts().tombstones).toBe(1);
  });

  it('cancel(…, { tombstone: false }) answers not-found and leaves nothing', async () => {
    const registry = newRegistry({});
    expect(await registry.cancel('never', HASH, { tombstone: false })).toEqual({ status: 'not-found' });
    expect(registry.counts().tombstones).toBe(0);
    expect(typeof (await registry.register('never', HASH, () => REPORT))).toBe('object');
    // A live stream is still cancelled with tombstone: false.
    expect(await registry.cancel('never', HASH, { tombstone: false })).toEqual({ status: 'cancelled', report: REPORT });
  });

  it('through the real handlers: at the cap one more made-up id gets 503 "full" with Retry-After, and the promised stream is still cancelled when it starts', async () => {
    current = await setup({ registry: { maxTombstones: 50 } });
    const promised = newStream();
    const first = await fetch(current.cancelUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-stream-cancel-secret': promised.secret },
      body: JSON.stringify({ streamId: promised.streamId }),
    });
    expect(first.status).toBe(404);
    expect((await first.json()).status).toBe('pending');
    // The flood (straight into the registry: the endpoint's rate limit would stop one client first).
    for (let i = 1; i < 50; i++) await current.registry.cancel(`flood-${i}`, await hashSecret(`flood-secret-${i}-xxxxxxxxxxxx`));
    expect(current.registry.counts().tombstones).toBe(50);
    const late = newStream();
    const full = await fetch(current.cancelUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-stream-cancel-secret': late.secret },
      body: JSON.stringify({ streamId: late.streamId }),
    });
    expect(full.status).toBe(503);
    expect(full.headers.get('retry-after')).toBe('1');
    const body = await full.json();
    expect(body.status).toBe('full');
    expect(body.status).not.toBe('pending');
    expect(current.registry.counts().tombstones).toBe(50);
    // The promised stream arrives: its upstream is never called, and it ends cancelled.
    const fake = createManualUpstream();
    current.setUpstream(fake.upstream);
    const res = await fetch(current.streamUrl, { method: 'POST', headers: streamHeaders(promised) });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('stream-cancelled');
    expect(fake.calls).toBe(0);
  });

  it('handleCancel with cors labels the 503 "full" answer', async () => {
    const registry = newRegistry({ maxTombstones: 1 });
    await registry.cancel('taken', HASH);
    const res = await handleCancel(
      new Request('http://app.test/cancel', {
        method: 'POST',
        headers: { origin: 'https://app.example', 'content-type': 'application/json', 'x-stream-cancel-secret': 'x'.repeat(32) },
        body: JSON.stringify({ streamId: 'another' }),
      }),
      { registry, cors: { origin: 'https://app.example' } },
    );
    expect(res.status).toBe(503);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(res.headers.get('access-control-expose-headers')).toBe('retry-after');
    expect((await res.json()).status).toBe('full');
  });
});
