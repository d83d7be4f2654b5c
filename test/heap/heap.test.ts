import { expect, it } from 'vitest';
import { runLeakCheck } from '../../scripts/leak-harness.mjs';

// The heap check of the hook's lifecycle (docs/RELIABILITY.md, "Heap"), in every `npm test`:
// 1,000 cycles of mount → start → first text → stop (server-confirmed) → unmount against a real
// node:http server on 127.0.0.1, half hook-local and half in a new store, under a jsdom window;
// heap used after gc() after 100 cycles (warm) and at the end. Pass: end ≤ warm + 2 MB.
// The library comes from src/ (the same check against dist/ is `node --expose-gc
// scripts/leak-check.mjs`). This file runs in the vitest project `heap` (vitest.config.ts),
// whose worker has `--expose-gc`; `unit` excludes it.
//
// HEAP_CYCLES=<n> changes the number of cycles (e.g. 300 for a quick local run, warm stays 100);
// HEAP_RETAIN=message|handle|container injects a leak on purpose (this test must then fail).

const CYCLES = Number(process.env.HEAP_CYCLES ?? 1000);
const RETAIN = (process.env.HEAP_RETAIN ?? 'none') as 'none' | 'message' | 'handle' | 'container';

it(`${CYCLES} mount → start → stop → unmount cycles: heap after gc() grows ≤ 2 MB from cycle 100 to the end`, async () => {
  expect(typeof globalThis.gc, 'the heap project runs its worker with --expose-gc').toBe('function');
  const result = await runLeakCheck({
    loadLibrary: async () => ({
      useModelStream: (await import('../../src/index')).useModelStream,
      createMessageStore: (await import('../../src/store/index')).createMessageStore,
    }),
    cycles: CYCLES,
    warm: 100,
    budgetMb: 2,
    mode: 'mixed',
    retain: RETAIN,
  });
  console.info(`[heap] ${result.lines.join('\n[heap] ')}`);
  expect(result.failures).toEqual([]);
  expect(result.cancels).toBe(CYCLES);
  expect(result.growth).not.toBeNull();
  expect(result.growth!).toBeLessThanOrEqual(2 * 1024 * 1024);
}, 600_000);
