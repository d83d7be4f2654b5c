import { randomBytes, randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { createStreamRegistry } from '../../src/server/createStreamRegistry';
import { handleCancel } from '../../src/server/handleCancel';

// What one tombstone of the in-memory registry costs (docs/server.md, "Tombstones"): heap used
// after gc() before and after 10,000 cancels for made-up ids sent through `handleCancel` (so the
// id and the secret's hash are made exactly as in production), divided by 10,000. Whatever the
// registry keeps alive is counted (its keys and the strings they reference, Map entries, expiry
// numbers); the requests themselves are garbage by then. Runs in the vitest project `heap` (its
// worker has --expose-gc): `npx vitest run --project heap test/heap/tombstones.test.ts`.

const COUNT = 10_000;

const heapAfterGc = () => {
  for (let i = 0; i < 4; i++) globalThis.gc!();
  return process.memoryUsage().heapUsed;
};

async function cancelMadeUpIds(registry: ReturnType<typeof createStreamRegistry>, count: number) {
  for (let done = 0; done < count; done += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, count - done) }, async () => {
        const res = await handleCancel(
          new Request('http://app.test/cancel', {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-stream-cancel-secret': randomBytes(32).toString('base64url') },
            body: JSON.stringify({ streamId: randomUUID() }),
          }),
          { registry, rateLimit: false },
        );
        if (res.status !== 404) throw new Error(`expected 404 pending, got ${res.status}`);
        await res.arrayBuffer();
      }),
    );
  }
}

it(`${COUNT} tombstones: bytes per tombstone, and the default cap's total`, async () => {
  expect(typeof globalThis.gc, 'the heap project runs its worker with --expose-gc').toBe('function');
  // Warm up the code paths (and their caches) once, outside the measure.
  const warm = createStreamRegistry({ tombstoneTtlMs: 600_000 });
  await cancelMadeUpIds(warm, 2_000);
  await warm.close();
  const perTombstone: number[] = [];
  for (let round = 0; round < 3; round++) {
    const registry = createStreamRegistry({ maxTombstones: COUNT, tombstoneTtlMs: 600_000 });
    const before = heapAfterGc();
    await cancelMadeUpIds(registry, COUNT);
    const after = heapAfterGc();
    expect(registry.counts().tombstones).toBe(COUNT);
    perTombstone.push((after - before) / COUNT);
    await registry.close();
  }
  const median = [...perTombstone].sort((a, b) => a - b)[1]!;
  console.info(
    `[tombstones] bytes per tombstone over ${COUNT}: ${perTombstone.map((b) => b.toFixed(0)).join(' / ')} (median ${median.toFixed(0)}); ` +
      `default cap 10,000 ≈ ${((median * 10_000) / 1024 / 1024).toFixed(2)} MiB`,
  );
  expect(median).toBeGreaterThan(0);
  expect(median).toBeLessThan(512);
}, 120_000);
