// Heap check of the hook's lifecycle against the built library (see docs/RELIABILITY.md, "Heap").
// The same check runs in `npm test` against src/ (test/heap/heap.test.ts, vitest project `heap`);
// this script measures what is published:
//
//   npm run build            # or `npx vite build`: the script loads the library from dist/
//   node --expose-gc scripts/leak-check.mjs
//
// 1,000 cycles of mount → start (a real node:http server on 127.0.0.1) → first text → stop
// (server cancel) → unmount, under a jsdom window (bench/render/dom.mjs); the cycles live in
// scripts/leak-harness.mjs. Heap used after gc() at the start, after 100 cycles (warm: JIT,
// module caches, undici's pool, React's internals are settled) and at the end. Pass: end ≤ warm +
// 2 MB (LEAK_BUDGET_MB). Options: LEAK_CYCLES (1000), LEAK_WARM (100), LEAK_DIST (dist
// directory), LEAK_MODE (mixed | local | store), LEAK_RETAIN (none | message | handle |
// container: keep each cycle's final message / hook result / unmounted container on purpose, to
// see the check fail).
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runLeakCheck } from './leak-harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const DIST = resolve(process.env.LEAK_DIST ?? join(here, '../dist'));

if (typeof globalThis.gc !== 'function') {
  console.error('run with: node --expose-gc scripts/leak-check.mjs');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const result = await runLeakCheck({
  loadLibrary: async () => ({
    useModelStream: (await import(pathToFileURL(join(DIST, 'index.js')).href)).useModelStream,
    createMessageStore: (await import(pathToFileURL(join(DIST, 'store/index.js')).href)).createMessageStore,
  }),
  cycles: Number(process.env.LEAK_CYCLES ?? 1000),
  warm: Number(process.env.LEAK_WARM ?? 100),
  budgetMb: Number(process.env.LEAK_BUDGET_MB ?? 2),
  mode: process.env.LEAK_MODE ?? 'mixed',
  retain: process.env.LEAK_RETAIN ?? 'none',
});
for (const line of result.lines) console.log(line);
for (const failure of result.failures) console.log(`FAIL: ${failure}`);
console.log(result.passed ? '1 passed, 0 failed' : '0 passed, 1 failed');
process.exit(result.passed ? 0 : 1);
