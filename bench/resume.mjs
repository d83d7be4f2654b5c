// Resume figures (docs/resume.md), on the BUILT package, one process (server and client share it,
// so the on/off comparison is side by side on the same load):
//
//   node --expose-gc bench/resume.mjs [--quick]      # alone
//   npm run bench -- --only=resume                   # from bench/run.mjs
//
// - throughput: `handleModelStream` with `resume: true` vs off, the fake model at full speed
//   (openai-chat, a text-only answer), a client reading the body to its end; MB/s of the body,
//   median of alternating runs. Target: on ≥ 0.8× off.
// - log memory: streams run to their end with resume on and their logs kept; the heap they hold
//   (after gc) per output byte, and the log's own count of held bytes.
// - drops: N concurrent streams (mixed protocols, paced), each dropped twice at random byte
//   counts by its client and resumed from its cursor (the last event id; the byte count for text
//   and NDJSON); the joined bytes compared with the stream's full replay: duplicated or missing
//   bytes counted. Reconnect → first replayed byte: from the resume request to its first chunk.
// - detached: streams whose client left and nobody resumed: how late after `detachedMs` the
//   upstream was aborted.
import { createServer } from 'node:http';
import { createFakeModel, createStreamRegistry, handleModelStream, handleResume, toNodeHandler } from '../dist/server/index.js';
import { gc, median, mulberry32, printTable, round } from './stats.mjs';

const encoder = new TextEncoder();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const PROTOCOLS = ['openai-chat', 'openai-responses', 'anthropic', 'ai-sdk', 'text', 'ndjson'];
const SSE = new Set(['openai-chat', 'openai-responses', 'anthropic', 'ai-sdk']);

function quantile(values, q) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

function words(n) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(`word${i % 97} `);
  return out.join('');
}

/** A real node:http server on 127.0.0.1 with /stream and /resume over one in-memory registry. */
async function startServer(streamOptions) {
  const registry = createStreamRegistry();
  const models = new Map();
  const stream = toNodeHandler((request) => {
    const url = new URL(request.url);
    const protocol = url.searchParams.get('protocol') ?? 'openai-chat';
    const tokens = Number(url.searchParams.get('tokens') ?? 1000);
    const intervalMs = Number(url.searchParams.get('interval') ?? 0);
    const resume = url.searchParams.get('resume') === '1' ? { detachedMs: Number(url.searchParams.get('detached') ?? 30_000) } : false;
    const model = createFakeModel({ protocol, intervalMs, script: { text: words(tokens), inputTokens: 10 } });
    models.set(request.headers.get('x-stream-id'), model);
    return handleModelStream(request, { registry, protocol, resume, upstream: (signal) => model.stream(signal), ...streamOptions });
  });
  const resume = toNodeHandler((request) => handleResume(request, { registry }));
  const server = createServer((req, res) => (req.url.startsWith('/resume') ? resume(req, res) : stream(req, res)));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    registry,
    models,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
      void registry.close();
    }),
  };
}

let streamCount = 0;
const newIds = () => ({ streamId: `bench-${process.pid}-${++streamCount}`, secret: `secret-${streamCount}-0123456789abcdef` });

function post(server, ids, query, signal) {
  return fetch(`${server.url}/stream?${query}`, { method: 'POST', headers: { 'x-stream-id': ids.streamId, 'x-stream-cancel-secret': ids.secret }, body: '{}', signal });
}

function resumeRequest(server, ids, cursor) {
  const headers = { 'x-stream-cancel-secret': ids.secret };
  if (cursor) headers['last-event-id'] = cursor;
  return fetch(`${server.url}/resume?streamId=${ids.streamId}`, { headers });
}

async function benchThroughput(quick) {
  const server = await startServer({});
  const tokens = quick ? 5000 : 40_000;
  const rounds = quick ? 3 : 9;
  const mbps = { on: [], off: [] };
  let bytes = 0;
  for (let round = 0; round < rounds; round++) {
    for (const mode of round % 2 ? ['on', 'off'] : ['off', 'on']) {
      gc();
      const started = performance.now();
      const res = await post(server, newIds(), `protocol=openai-chat&tokens=${tokens}&resume=${mode === 'on' ? 1 : 0}`);
      const body = new Uint8Array(await res.arrayBuffer());
      const ms = performance.now() - started;
      bytes = body.length;
      mbps[mode].push(body.length / 1e6 / (ms / 1000));
    }
  }
  await server.close();
  const on = median(mbps.on);
  const off = median(mbps.off);
  const row = { protocol: 'openai-chat', 'body MB': round(bytes / 1e6, 2), runs: rounds, 'off MB/s': round(off, 1), 'on MB/s': round(on, 1), 'on / off': round(on / off, 2) };
  printTable('Resume: handleModelStream throughput, resume on vs off (median)', [row]);
  return row;
}

async function benchLogMemory(quick) {
  const server = await startServer({});
  const streams = quick ? 10 : 50;
  gc();
  // The logged bytes are ArrayBuffers, outside the JS heap: both count.
  const held = () => process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const before = held();
  let output = 0;
  for (let i = 0; i < streams; i++) {
    const res = await post(server, newIds(), `protocol=openai-chat&tokens=2000&resume=1`);
    output += (await res.arrayBuffer()).byteLength;
  }
  server.models.clear();
  gc();
  gc();
  const after = held();
  const logBytes = server.registry.resumeLog.bytes();
  const row = { streams, 'output KB/stream': round(output / streams / 1024, 1), 'log bytes / output byte': round(logBytes / output, 2), 'memory bytes / output byte': round((after - before) / output, 2) };
  await server.close();
  printTable('Resume: in-memory log per stream (logs of ended streams kept for their TTL)', [row]);
  return row;
}

/** Reads a body until `limit` bytes (then aborts) or its end; the first chunk's time. */
async function readUntil(res, limit, abort) {
  const reader = res.body.getReader();
  const chunks = [];
  let length = 0;
  let firstAt = null;
  for (;;) {
    const { done, value } = await reader.read().catch(() => ({ done: true }));
    if (done) return { bytes: concat(chunks, length), firstAt, ended: true };
    firstAt ??= performance.now();
    chunks.push(value);
    length += value.length;
    if (limit !== null && length >= limit) {
      abort();
      await reader.cancel().catch(() => {});
      return { bytes: concat(chunks, length), firstAt, ended: false };
    }
  }
}

function concat(chunks, length) {
  const out = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** What a client keeps of what it read, and its cursor: whole SSE events and the last id, or every byte. */
function keep(protocol, bytes) {
  if (!SSE.has(protocol)) return { kept: bytes, cursor: String(bytes.length) };
  const text = new TextDecoder().decode(bytes);
  const end = text.lastIndexOf('\n\n');
  if (end < 0) return { kept: new Uint8Array(0), cursor: undefined };
  const keptText = text.slice(0, end + 2);
  const ids = [...keptText.matchAll(/^id: (.+)$/gm)];
  return { kept: encoder.encode(keptText), cursor: ids.at(-1)?.[1] };
}

async function oneDroppedStream(server, protocol, random, reconnects) {
  const ids = newIds();
  const abort = new AbortController();
  const res = await post(server, ids, `protocol=${protocol}&tokens=200&interval=40&resume=1`, abort.signal);
  // The full stream is some KB; drop twice at random points in its first two thirds.
  const expected = { 'openai-chat': 40_000, 'openai-responses': 50_000, anthropic: 37_000, 'ai-sdk': 17_000, text: 1600, ndjson: 20_000 }[protocol];
  const first = Math.floor(random() * expected * 0.3) + 1;
  const second = first + Math.floor(random() * expected * 0.3) + 1;
  const parts = [];
  let read = await readUntil(res, first, () => abort.abort());
  let cut = keep(protocol, read.bytes);
  parts.push(cut.kept);
  let cursor = cut.cursor;
  let offset = cut.kept.length;
  for (const limit of [second, null]) {
    const started = performance.now();
    const resumed = await resumeRequest(server, ids, cursor);
    const local = new AbortController();
    read = await readUntil(resumed, limit === null ? null : Math.max(1, limit - offset), () => local.abort());
    if (read.firstAt !== null) reconnects.push(read.firstAt - started);
    cut = limit === null ? { kept: read.bytes } : keep(protocol, read.bytes);
    if (limit !== null && !SSE.has(protocol)) cut.cursor = String(offset + cut.kept.length);
    parts.push(cut.kept);
    offset += cut.kept.length;
    if (limit !== null) cursor = cut.cursor ?? cursor;
  }
  const joined = concat(parts, offset);
  const canonical = new Uint8Array(await (await resumeRequest(server, ids)).arrayBuffer());
  const mismatch = joined.length !== canonical.length || joined.some((byte, i) => byte !== canonical[i]);
  return { protocol, mismatch, missing: Math.max(0, canonical.length - joined.length), duplicated: Math.max(0, joined.length - canonical.length) };
}

async function benchDrops(quick) {
  const server = await startServer({});
  const random = mulberry32(15);
  const count = quick ? 36 : 200;
  const reconnects = [];
  const results = await Promise.all(Array.from({ length: count }, (_, i) => oneDroppedStream(server, PROTOCOLS[i % PROTOCOLS.length], random, reconnects)));
  await server.close();
  const row = {
    streams: count,
    'drops each': 2,
    'streams not byte-identical': results.filter((r) => r.mismatch).length,
    'missing bytes': results.reduce((sum, r) => sum + r.missing, 0),
    'duplicated bytes': results.reduce((sum, r) => sum + r.duplicated, 0),
    'reconnect → first byte p50 ms': round(quantile(reconnects, 0.5), 1),
    'p99 ms': round(quantile(reconnects, 0.99), 1),
  };
  printTable('Resume: concurrent streams dropped twice at random points, resumed from their cursor', [row]);
  return row;
}

async function benchDetached(quick) {
  const server = await startServer({});
  const detachedMs = 500;
  const count = quick ? 10 : 40;
  const late = [];
  const tokensAfter = [];
  await Promise.all(Array.from({ length: count }, async () => {
    const ids = newIds();
    const abort = new AbortController();
    const res = await post(server, ids, `protocol=anthropic&tokens=100000&interval=50&resume=1&detached=${detachedMs}`, abort.signal);
    await readUntil(res, 2000, () => abort.abort());
    const leftAt = performance.now();
    const model = server.models.get(ids.streamId);
    while (model.runs[0].abortedAt === null) await sleep(10);
    late.push(model.runs[0].abortedAt - leftAt - detachedMs);
    tokensAfter.push(model.runs[0].tokensAfterAbort);
  }));
  await server.close();
  const row = { streams: count, detachedMs, 'aborted late p50 ms': round(quantile(late, 0.5), 0), 'p99 ms': round(quantile(late, 0.99), 0), 'tokens after abort (max)': Math.max(...tokensAfter) };
  printTable('Resume: upstreams nobody resumed, aborted after detachedMs', [row]);
  return row;
}

export async function benchResume({ quick = false } = {}) {
  return {
    throughput: await benchThroughput(quick),
    logMemory: await benchLogMemory(quick),
    drops: await benchDrops(quick),
    detached: await benchDetached(quick),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchResume({ quick: process.argv.includes('--quick') });
}
