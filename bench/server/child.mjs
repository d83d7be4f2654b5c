// The server process of `bench/server.mjs`: a real `node:http` server on 127.0.0.1 (port 0) running
// the BUILT package's `handleModelStream` (upstream = `createFakeModel().stream(signal)`) and
// `handleCancel` through `toNodeHandler`, over one in-memory registry. It is a child process (forked
// by bench/server.mjs with --expose-gc) so that it has its own event loop, its own core when there
// are two, and its own heap and RSS: the memory figures are the server's alone.
//
// Everything "tokens after stop" is computed HERE, where the fake model lives, with one clock
// (performance.now() of this process): the fake model's `tokenTimes`, `abortedAt`, and the moment
// the stop reached this process, recorded by two thin wrappers that do not change the library's
// behaviour:
//   - cancel arrival: the `request` event of node:http for POST /cancel (before `handleCancel`
//     reads the body), matched to its stream through the `x-stream-cancel-secret` header;
//   - disconnect arrival: the `abort` of the Web Request's signal that `toNodeHandler` hands to
//     `handleModelStream` (our listener is added first, so it runs before the library's own).
//
// Routes:
//   POST /chat?protocol=anthropic|ai-sdk|…&disconnect=abort|continue&tps=50&tokens=<n>
//        handleModelStream; without `tokens` the fake model's default script (84 tokens:
//        reasoning, text, one tool call), with it a text-only script of exactly n tokens.
//   POST /cancel   handleCancel.
//
// Control over the IPC channel: { id, type, ...args } → { id, result } (or { id, error }):
//   ping → { epoch }                     (clock check: performance.timeOrigin + now())
//   stats { ids? } → per-stream figures  (times as epoch ms, comparable across processes)
//   registry → { size, counts }
//   memory → process.memoryUsage() after global.gc() (twice)
//   sample-start / sample-stop → peak rss / heapUsed sampled every 50 ms
//   connections → open sockets; close-idle → server.closeIdleConnections()
//   reset { registry? } → forget the recorded streams and fake-model runs (and a fresh registry)
//   close → closes the server and exits
import { createServer } from 'node:http';
import {
  createFakeModel,
  createStreamRegistry,
  handleCancel,
  handleModelStream,
  toNodeHandler,
} from '../../dist/server/index.js';

const epoch = (t) => performance.timeOrigin + t;

let registry = createStreamRegistry();
let model = createFakeModel();
/** streamId → what the server saw of that stream */
let streams = new Map();
/** cancel secret → streamId (the cancel's body is left for handleCancel to read) */
let bySecret = new Map();

const scriptCache = new Map();
/** A text-only script of exactly `n` tokens (words of 2–5 letters: with its space, each is one token). */
function scriptOf(n) {
  if (!scriptCache.has(n)) {
    const words = ['the', 'cup', 'brews', 'slow', 'beans', 'water', 'pour', 'in', 'round', 'calm'];
    const text = Array.from({ length: n }, (_, i) => (i === 0 ? '' : ' ') + words[i % words.length]).join('');
    scriptCache.set(n, { text, inputTokens: 12 });
  }
  return scriptCache.get(n);
}

const chat = toNodeHandler((request) => {
  const url = new URL(request.url);
  const protocol = url.searchParams.get('protocol') ?? 'anthropic';
  const onDisconnect = url.searchParams.get('disconnect') === 'continue' ? 'continue' : 'abort';
  const tokensPerSecond = Number(url.searchParams.get('tps') ?? 50);
  const tokens = url.searchParams.get('tokens');
  const streamId = request.headers.get('x-stream-id');
  const secret = request.headers.get('x-stream-cancel-secret');
  const record = {
    streamId,
    protocol,
    onDisconnect,
    receivedAt: performance.now(),
    cancelArrivedAt: null,
    cancelStatus: null,
    cancelAnswer: null,
    clientGoneAt: null,
    run: null,
  };
  if (streamId) streams.set(streamId, record);
  if (secret && streamId) bySecret.set(secret, streamId);
  // Added before handleModelStream adds its own: runs first, at the moment the library learns.
  request.signal.addEventListener('abort', () => (record.clientGoneAt ??= performance.now()), { once: true });
  const overrides = { protocol, tokensPerSecond, ...(tokens ? { script: scriptOf(Number(tokens)) } : {}) };
  return handleModelStream(request, {
    registry,
    protocol,
    onDisconnect,
    upstream: (signal) => {
      const response = model.stream(signal, overrides);
      record.run = model.runs[model.runs.length - 1];
      return response;
    },
  });
});

const cancel = toNodeHandler((request) => handleCancel(request, { registry }));

const server = createServer((req, res) => {
  const path = (req.url ?? '/').split('?', 1)[0];
  if (path === '/cancel') {
    const arrivedAt = performance.now();
    const streamId = bySecret.get(req.headers['x-stream-cancel-secret']);
    const record = streamId ? streams.get(streamId) : undefined;
    if (record) {
      record.cancelArrivedAt ??= arrivedAt;
      res.on('finish', () => {
        record.cancelStatus = res.statusCode;
        record.cancelAnswer = performance.now();
      });
    }
    cancel(req, res);
    return;
  }
  if (path === '/chat') {
    chat(req, res);
    return;
  }
  res.statusCode = 404;
  res.end();
});

function after(times, t) {
  if (t === null) return null;
  let n = 0;
  for (const x of times) if (x > t) n++;
  return n;
}

function statsOf(record) {
  const run = record.run;
  const times = run?.tokenTimes ?? [];
  return {
    streamId: record.streamId,
    protocol: record.protocol,
    onDisconnect: record.onDisconnect,
    receivedAt: epoch(record.receivedAt),
    tokens: run?.tokens ?? 0,
    finished: run?.finished ?? false,
    firstTokenAt: times.length ? epoch(times[0]) : null,
    lastTokenAt: times.length ? epoch(times[times.length - 1]) : null,
    abortedAt: run?.abortedAt != null ? epoch(run.abortedAt) : null,
    tokensAfterAbort: run?.tokensAfterAbort ?? 0,
    cancelArrivedAt: record.cancelArrivedAt !== null ? epoch(record.cancelArrivedAt) : null,
    cancelAnsweredAt: record.cancelAnswer !== null ? epoch(record.cancelAnswer) : null,
    cancelStatus: record.cancelStatus,
    tokensAfterCancel: after(times, record.cancelArrivedAt),
    cancelToAbortMs: record.cancelArrivedAt !== null && run?.abortedAt != null ? run.abortedAt - record.cancelArrivedAt : null,
    clientGoneAt: record.clientGoneAt !== null ? epoch(record.clientGoneAt) : null,
    tokensAfterGone: after(times, record.clientGoneAt),
  };
}

let sampler = null;
const memory = () => {
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers };
};

const commands = {
  connections: () => new Promise((resolve) => server.getConnections((error, count) => resolve(error ? null : count))),
  'close-idle': () => (server.closeIdleConnections(), true),
  ping: () => ({ epoch: epoch(performance.now()) }),
  stats: ({ ids }) => (ids ?? [...streams.keys()]).map((id) => (streams.has(id) ? statsOf(streams.get(id)) : { streamId: id, missing: true })),
  registry: () => ({ size: registry.size(), counts: registry.counts?.() ?? null }),
  memory: async () => {
    for (let i = 0; i < 2; i++) {
      globalThis.gc?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    return { ...memory(), gcExposed: typeof globalThis.gc === 'function' };
  },
  'sample-start': () => {
    const first = memory();
    sampler = { peakRss: first.rss, peakHeapUsed: first.heapUsed, samples: 1, timer: null };
    sampler.timer = setInterval(() => {
      const m = memory();
      sampler.peakRss = Math.max(sampler.peakRss, m.rss);
      sampler.peakHeapUsed = Math.max(sampler.peakHeapUsed, m.heapUsed);
      sampler.samples++;
    }, 50);
    return first;
  },
  'sample-stop': () => {
    if (!sampler) return null;
    clearInterval(sampler.timer);
    const m = memory();
    const { peakRss, peakHeapUsed, samples } = sampler;
    sampler = null;
    return { peakRss: Math.max(peakRss, m.rss), peakHeapUsed: Math.max(peakHeapUsed, m.heapUsed), samples: samples + 1 };
  },
  reset: async ({ registry: fresh }) => {
    streams = new Map();
    bySecret = new Map();
    model = createFakeModel();
    if (fresh) {
      await registry.close();
      registry = createStreamRegistry();
    }
    return true;
  },
  close: async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await registry.close();
    setImmediate(() => process.exit(0));
    return true;
  },
};

process.on('message', async ({ id, type, ...args }) => {
  try {
    const result = await commands[type](args);
    process.send({ id, result });
  } catch (error) {
    process.send({ id, error: String(error?.stack ?? error) });
  }
});

server.listen(0, '127.0.0.1', () => process.send({ ready: true, port: server.address().port, pid: process.pid }));
