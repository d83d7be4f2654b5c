// Heap check of the hook's lifecycle (not part of `npm test`; see docs/RELIABILITY.md,
// "Concurrency and leaks"):
//
//   npm run build            # or `npx vite build`: the script loads the library from dist/
//   node --expose-gc scripts/leak-check.mjs
//
// 1,000 cycles of mount → start (a real node:http server on 127.0.0.1) → first text → stop
// (server cancel) → unmount, under a jsdom window (bench/render/dom.mjs). Heap used after gc() at
// the start, after 100 cycles (warm: JIT, module caches, undici's pool, React's internals are
// settled) and at the end. Pass: end ≤ warm + 2 MB (LEAK_BUDGET_MB). A per-cycle leak as small as
// one retained snapshot/session (a few KB) × 900 cycles would exceed it; noise between gc() runs
// here is well under 1 MB. Options: LEAK_CYCLES (1000), LEAK_WARM (100), LEAK_DIST (dist directory),
// LEAK_MODE (mixed | local | store).
import { createServer } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { installDom } from '../bench/render/dom.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const CYCLES = Number(process.env.LEAK_CYCLES ?? 1000);
const WARM = Number(process.env.LEAK_WARM ?? 100);
const BUDGET_MB = Number(process.env.LEAK_BUDGET_MB ?? 2);
/** `mixed` (default: odd cycles in a store), `local` (no store) or `store` (every cycle in a store). */
const MODE = process.env.LEAK_MODE ?? 'mixed';
const DIST = resolve(process.env.LEAK_DIST ?? join(here, '../dist'));

if (typeof globalThis.gc !== 'function') {
  console.error('run with: node --expose-gc scripts/leak-check.mjs');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const MB = 1024 * 1024;
const heap = () => {
  for (let i = 0; i < 4; i++) globalThis.gc();
  return process.memoryUsage().heapUsed;
};
const fmt = (bytes) => `${(bytes / MB).toFixed(2)} MB`;
const tick = () => new Promise((r) => setImmediate(r));

async function until(done, ms, what) {
  const end = performance.now() + ms;
  while (!done()) {
    if (performance.now() > end) throw new Error(`${what}: not done after ${ms} ms`);
    await tick();
  }
}

// A model server: /chat streams one text delta and holds the connection; /cancel confirms.
let open = 0;
let cancels = 0;
const sse = (value) => `data: ${JSON.stringify(value)}\n\n`;
const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (req.url === '/cancel') {
      cancels++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status":"cancelled","usage":null,"usageEstimated":false}');
      return;
    }
    open++;
    res.on('close', () => open--);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write(sse({ type: 'start', messageId: 'm' }) + sse({ type: 'text-start', id: '0' }) + sse({ type: 'text-delta', id: '0', delta: 'Hello' }));
  });
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${server.address().port}`;

const dom = installDom();
const React = await import('react');
const { createRoot } = await import('react-dom/client');
const { flushSync } = await import('react-dom');
const { QueryClient, QueryClientProvider } = await import('@tanstack/react-query');
const { useModelStream } = await import(pathToFileURL(join(DIST, 'index.js')).href);
const { createMessageStore } = await import(pathToFileURL(join(DIST, 'store/index.js')).href);

const errors = [];
const originalError = console.error;
console.error = (...args) => errors.push(args.map(String).join(' '));

const client = new QueryClient({ defaultOptions: { mutations: { gcTime: 0 }, queries: { gcTime: 0 } } });
let handle = null;
let rendersAfterUnmount = 0;
let unmounted = false;
function Chat({ store, conversationId }) {
  const chat = useModelStream({ api: `${url}/chat`, cancelApi: `${url}/cancel`, store, conversationId, drainMs: 20 });
  if (unmounted) rendersAfterUnmount++;
  handle = chat;
  return React.createElement('p', null, chat.text);
}

async function cycle(i) {
  const container = document.createElement('div');
  document.body.appendChild(container);
  const root = createRoot(container);
  // Odd cycles keep the conversation in a store (a new one each time), even cycles are hook-local.
  const inStore = MODE === 'store' || (MODE === 'mixed' && i % 2 === 1);
  const store = inStore ? createMessageStore() : undefined;
  unmounted = false;
  flushSync(() => root.render(React.createElement(QueryClientProvider, { client }, React.createElement(Chat, { store, conversationId: `k${i}` }))));
  const final = handle.start(`cycle ${i}`);
  await until(() => handle.text === 'Hello', 10_000, `cycle ${i}: first text`);
  const stopped = await handle.stop();
  if (!stopped.serverConfirmed) throw new Error(`cycle ${i}: stop() not confirmed: ${JSON.stringify(stopped)}`);
  const message = await final;
  if (message.status !== 'incomplete' || message.incomplete?.reason !== 'cancelled') throw new Error(`cycle ${i}: ended ${message.status}/${message.incomplete?.reason}`);
  await until(() => handle.status === 'incomplete', 10_000, `cycle ${i}: rendered status`);
  flushSync(() => root.unmount());
  unmounted = true;
  container.remove();
  handle = null;
}

let failed = false;
const started = performance.now();
const figures = {};
try {
  figures.start = heap();
  for (let i = 0; i < CYCLES; i++) {
    await cycle(i);
    if (i + 1 === WARM) {
      await new Promise((r) => setTimeout(r, 50));
      figures.warm = heap();
    }
  }
  await new Promise((r) => setTimeout(r, 50));
  await until(() => open === 0, 10_000, 'every stream connection closed');
  figures.end = heap();
} catch (error) {
  failed = true;
  originalError(error);
}
const seconds = (performance.now() - started) / 1000;
console.error = originalError;

if (!failed) {
  const growth = figures.end - figures.warm;
  console.log(`cycles ${CYCLES} in ${seconds.toFixed(1)} s (${((seconds * 1000) / CYCLES).toFixed(1)} ms/cycle); cancels ${cancels}; open connections ${open}`);
  console.log(`heap used after gc(): start ${fmt(figures.start)}, warm (after ${WARM}) ${fmt(figures.warm)}, end ${fmt(figures.end)}`);
  console.log(`growth warm → end: ${(growth / 1024).toFixed(0)} KB over ${CYCLES - WARM} cycles (${(growth / (CYCLES - WARM)).toFixed(0)} B/cycle); budget ${BUDGET_MB} MB`);
  if (growth > BUDGET_MB * MB) {
    failed = true;
    console.log('FAIL: heap grew more than the budget');
  }
  if (cancels !== CYCLES) {
    failed = true;
    console.log(`FAIL: ${cancels} cancels for ${CYCLES} cycles`);
  }
  if (errors.length > 0 || rendersAfterUnmount > 0) {
    failed = true;
    console.log(`FAIL: console.error ${errors.length} (${errors.slice(0, 3).join(' | ')}), renders after unmount ${rendersAfterUnmount}`);
  }
}

dom.close();
server.closeAllConnections();
server.close();
console.log(failed ? '0 passed, 1 failed' : '1 passed, 0 failed');
process.exit(failed ? 1 : 0);
