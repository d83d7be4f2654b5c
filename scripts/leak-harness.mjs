// The heap check of the hook's lifecycle, shared by `scripts/leak-check.mjs` (the built library
// from dist/, a plain `node --expose-gc`) and `test/heap/heap.test.ts` (the library from src/, in
// the vitest project `heap`, whose worker runs with `--expose-gc`). See docs/RELIABILITY.md,
// "Heap".
//
// N cycles of mount → start (a real node:http server on 127.0.0.1) → first text → stop (server
// cancel) → unmount, under a jsdom window (bench/render/dom.mjs). Heap used after gc() at the
// start, after `warm` cycles (JIT, module caches, undici's pool and React's internals are settled)
// and at the end. Pass: end ≤ warm + budget, every cycle's stop server-confirmed, every connection
// closed, no console.error, no render after unmount, and every cycle's hook result, final
// message, container and store collected (WeakRefs, at most a few of the last cycles alive).
//
// Each answer carries 8 KB of text (`'Hello '` + filler, parsed afresh every cycle), so anything
// that keeps a cycle's answer alive (its message, a snapshot, the session, a store) costs ≥ 8 KB a
// cycle, ≥ 7 MB over 900 cycles: far past the budget, while V8's own churn (code space, ≈ 0.6–0.9
// KB a cycle here) stays well inside it.
//
// `retain` injects a leak on purpose, to show the check can fail: each cycle's final message
// (`'message'`), the hook's whole result (`'handle'`: its session, snapshot and stream) or the
// unmounted container (`'container'`: a detached DOM tree) is kept in an array until the end.
import { createServer } from 'node:http';
import { installDom } from '../bench/render/dom.mjs';

const MB = 1024 * 1024;
/** The answer of every cycle: 8 KB of text. */
const ANSWER = `Hello ${'lorem ipsum '.repeat(682)}`.slice(0, 8192);
/** WeakRefs of a cycle's objects still alive at the end: at most this many (the last cycles may still be referenced by React's or undici's last-used slots). */
const MAX_ALIVE = 5;
const tick = () => new Promise((resolve) => setImmediate(resolve));

async function until(done, ms, what) {
  const end = performance.now() + ms;
  while (!done()) {
    if (performance.now() > end) throw new Error(`${what}: not done after ${ms} ms`);
    await tick();
  }
}

/**
 * @param {object} options
 * @param {() => Promise<{ useModelStream: Function, createMessageStore: Function }>} options.loadLibrary
 *   Loads the library once the DOM is installed (react-dom decides at import time whether there is one).
 * @param {number} [options.cycles] default 1000
 * @param {number} [options.warm] default 100
 * @param {number} [options.budgetMb] default 2
 * @param {'mixed' | 'local' | 'store'} [options.mode] default `'mixed'` (odd cycles in a new store)
 * @param {'none' | 'message' | 'handle' | 'container'} [options.retain] default `'none'`
 */
export async function runLeakCheck({ loadLibrary, cycles = 1000, warm = 100, budgetMb = 2, mode = 'mixed', retain = 'none' }) {
  if (typeof globalThis.gc !== 'function') throw new Error('runLeakCheck needs `node --expose-gc` (globalThis.gc)');
  if (!(warm > 0 && warm < cycles)) throw new RangeError(`runLeakCheck: warm (${warm}) must be between 0 and cycles (${cycles})`);
  if (!['mixed', 'local', 'store'].includes(mode)) throw new RangeError(`runLeakCheck: unknown mode ${mode}`);
  if (!['none', 'message', 'handle', 'container'].includes(retain)) throw new RangeError(`runLeakCheck: unknown retain ${retain}`);
  const heap = () => {
    for (let i = 0; i < 4; i++) globalThis.gc();
    return process.memoryUsage().heapUsed;
  };

  // A model server: /chat streams one text delta and holds the connection; /cancel confirms.
  let open = 0;
  let cancels = 0;
  const sse = (value) => `data: ${JSON.stringify(value)}\n\n`;
  const server = createServer((req, res) => {
    req.on('data', () => {});
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
      res.write(sse({ type: 'start', messageId: 'm' }) + sse({ type: 'text-start', id: '0' }) + sse({ type: 'text-delta', id: '0', delta: ANSWER }));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;

  const dom = installDom();
  const errors = [];
  const originalError = console.error;
  const failures = [];
  const figures = {};
  const retained = [];
  /** WeakRefs of every cycle's hook result, final message, container and store. */
  const weak = [];
  let alive = null;
  let seconds = 0;
  try {
    const React = await import('react');
    const { createRoot } = await import('react-dom/client');
    const { flushSync } = await import('react-dom');
    const { QueryClient, QueryClientProvider } = await import('@tanstack/react-query');
    const { useModelStream, createMessageStore } = await loadLibrary();

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

    const cycle = async (i) => {
      const container = document.createElement('div');
      document.body.appendChild(container);
      const root = createRoot(container);
      const inStore = mode === 'store' || (mode === 'mixed' && i % 2 === 1);
      const store = inStore ? createMessageStore() : undefined;
      unmounted = false;
      flushSync(() => root.render(React.createElement(QueryClientProvider, { client }, React.createElement(Chat, { store, conversationId: `k${i}` }))));
      const final = handle.start(`cycle ${i}`);
      await until(() => handle.text === ANSWER, 10_000, `cycle ${i}: first text`);
      const stopped = await handle.stop();
      if (!stopped.serverConfirmed) throw new Error(`cycle ${i}: stop() not confirmed: ${JSON.stringify(stopped)}`);
      const message = await final;
      if (message.status !== 'incomplete' || message.incomplete?.reason !== 'cancelled') throw new Error(`cycle ${i}: ended ${message.status}/${message.incomplete?.reason}`);
      await until(() => handle.status === 'incomplete', 10_000, `cycle ${i}: rendered status`);
      if (message.text !== ANSWER) throw new Error(`cycle ${i}: the stopped message lost its text (${message.text.length} characters)`);
      if (retain === 'message') retained.push(message);
      else if (retain === 'handle') retained.push(handle);
      weak.push(new WeakRef(handle), new WeakRef(message), new WeakRef(container));
      if (store) weak.push(new WeakRef(store));
      flushSync(() => root.unmount());
      unmounted = true;
      container.remove();
      if (retain === 'container') retained.push(container);
      handle = null;
    };

    const started = performance.now();
    figures.start = heap();
    for (let i = 0; i < cycles; i++) {
      await cycle(i);
      if (i + 1 === warm) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        figures.warm = heap();
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    await until(() => open === 0, 10_000, 'every stream connection closed');
    figures.end = heap();
    alive = weak.filter((ref) => ref.deref() !== undefined).length;
    seconds = (performance.now() - started) / 1000;

    const growth = figures.end - figures.warm;
    if (growth > budgetMb * MB) failures.push(`heap grew ${(growth / 1024).toFixed(0)} KB from warm to end, more than the budget of ${budgetMb} MB`);
    if (alive > MAX_ALIVE) failures.push(`${alive} of ${weak.length} cycle objects (hook results, messages, containers, stores) still alive after gc(), more than ${MAX_ALIVE}`);
    if (cancels !== cycles) failures.push(`${cancels} cancels for ${cycles} cycles`);
    if (errors.length > 0) failures.push(`console.error ${errors.length}: ${errors.slice(0, 3).join(' | ')}`);
    if (rendersAfterUnmount > 0) failures.push(`renders after unmount: ${rendersAfterUnmount}`);
    client.clear();
  } catch (error) {
    failures.push(error instanceof Error ? (error.stack ?? error.message) : String(error));
  } finally {
    console.error = originalError;
    dom.close();
    server.closeAllConnections();
    server.close();
  }

  const growth = figures.end !== undefined && figures.warm !== undefined ? figures.end - figures.warm : null;
  const fmt = (bytes) => `${(bytes / MB).toFixed(2)} MB`;
  const lines =
    growth === null
      ? []
      : [
          `cycles ${cycles} (${mode}${retain === 'none' ? '' : `, retaining each ${retain} on purpose (${retained.length})`}) in ${seconds.toFixed(1)} s (${((seconds * 1000) / cycles).toFixed(1)} ms/cycle); cancels ${cancels}; open connections ${open}`,
          `heap used after gc(): start ${fmt(figures.start)}, warm (after ${warm}) ${fmt(figures.warm)}, end ${fmt(figures.end)}`,
          `growth warm → end: ${(growth / 1024).toFixed(0)} KB over ${cycles - warm} cycles (${(growth / (cycles - warm)).toFixed(0)} B/cycle); budget ${budgetMb} MB`,
          `cycle objects still alive after gc(): ${alive} of ${weak.length} (at most ${MAX_ALIVE})`,
        ];
  return { passed: failures.length === 0, failures, figures, growth, alive, seconds, cancels, lines };
}
