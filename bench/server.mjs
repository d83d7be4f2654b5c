// Server figures: how many tokens the model generates after the user pressed Stop, and 200
// concurrent streams with half of them stopped, through one server process.
//
//   node --expose-gc bench/server.mjs [--quick] [--json] [--part=stop|load]   # alone
//   npm run bench -- --only=server                          # from bench/run.mjs
//
// Set-up, and why:
// - Server: bench/server/child.mjs, a CHILD PROCESS (not a worker thread) running a real node:http
//   server on 127.0.0.1 (port 0) with the BUILT package (dist/server): `toNodeHandler` around
//   `handleModelStream` (upstream = `createFakeModel().stream(signal)`, protocol 'anthropic' or
//   'ai-sdk', 50 tokens/s) and `handleCancel`, one in-memory registry. A process rather than a
//   worker because the load figures are about memory: a child has its own RSS and heap, so
//   "server memory back near its start" is the server's alone, not the client's 200 sessions too;
//   and it has its own event loop (and core), so client work does not delay the server's timers.
// - Client: `createStreamSession` from dist/core in this process, with Node's fetch.
// - "Tokens after stop" is counted in the server process, where the fake model lives, on its clock:
//   the fake model's `tokenTimes` after the moment the stop reached the server (the cancel
//   request's arrival, or the request close for a local abort). See child.mjs.
// - Times that span both processes (stop() here → arrival there) use performance.timeOrigin +
//   now() on both sides; the offset between the two clocks is measured by IPC ping (shortest round
//   trip) and subtracted. It is reported (typically well under 0.1 ms).
// - Random choices (when to stop, which streams to stop) come from a seeded generator, so runs are
//   comparable.
import { statSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createStreamSession } from '../dist/core/index.js';
import { epochNow, startServerProcess } from './server/process.mjs';
import { median, printTable, round } from './stats.mjs';
import { mulberry32 as seeded } from './stats.mjs';

const here = dirname(fileURLToPath(import.meta.url));

/** Pace of the fake model for the stop figures (the 50 tokens/s: one token every 20 ms). */
const STOP_TPS = 50;
/** Load: sessions (a multiple of 4), pace and length (each complete stream ~10 s; --quick: 40 sessions, ~3 s). */
const LOAD = { sessions: 200, quickSessions: 40, tokensPerSecond: 100, tokens: 1000, quickTokens: 300 };
const DELTA_EVENTS = new Set(['text-delta', 'reasoning-delta', 'tool-call-delta']);

/** Nearest-rank quantile. */
function quantile(values, q) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}


const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const MiB = (bytes) => round(bytes / 2 ** 20, 1);

/** Warns when a source file is newer than the build this bench measures. */
function warnIfDistStale() {
  const dist = join(here, '../dist/server/index.js');
  let built;
  try {
    built = statSync(dist).mtimeMs;
  } catch {
    throw new Error('dist/ is missing: run `npx vite build` (or `npm run build`) first.');
  }
  const newer = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (statSync(path).mtimeMs > built) newer.push(path);
    }
  };
  for (const part of ['core', 'server']) walk(join(here, '../src', part));
  if (newer.length) console.warn(`warning: ${newer.length} file(s) under src/ are newer than dist/ (e.g. ${newer[0]}); rebuild to measure them.`);
}

/** Polls the server until every listed stream's upstream is finished or aborted and the registry holds no live stream. */
async function settle(server, ids, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stats = await server.call('stats', { ids });
    const registry = await server.call('registry');
    const open = stats.filter((s) => !s.finished && s.abortedAt === null);
    if ((open.length === 0 && registry.size === 0) || Date.now() > deadline) return { stats, registry, open: open.length };
    await sleep(50);
  }
}

/**
 * One stop: start a session, wait until `stopAfter` deltas arrived, call stop(). With `viaCancel`
 * the session has a `cancelApi` (stop = server cancel, then local abort); without, stop only aborts
 * the fetch locally.
 */
async function oneStop({ base, protocol, disconnect, viaCancel, stopAfter }) {
  let received = 0;
  let reached;
  const reachedPromise = new Promise((resolve) => (reached = resolve));
  let finalAt = null;
  const session = createStreamSession({
    api: `${base}/chat?protocol=${protocol}&disconnect=${disconnect}&tps=${STOP_TPS}`,
    ...(viaCancel ? { cancelApi: `${base}/cancel` } : {}),
    protocol,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ input: 'Tell me about coffee' }),
    onEvent: (event) => {
      if (DELTA_EVENTS.has(event.type) && ++received >= stopAfter) reached();
    },
    onFinish: () => (finalAt = epochNow()),
  });
  const final = session.start();
  const early = await Promise.race([reachedPromise.then(() => false), final.then(() => true)]);
  if (early) throw new Error(`the stream ended before ${stopAfter} deltas arrived (${received})`);
  const receivedAtStop = received;
  const stopCalledAt = epochNow();
  const stopResult = await session.stop();
  const snapshot = await final;
  return {
    streamId: session.streamId,
    stopAfter,
    receivedAtStop,
    stopCalledAt,
    finalAt,
    status: snapshot.status,
    reason: snapshot.incomplete?.reason ?? null,
    serverConfirmed: stopResult.serverConfirmed,
  };
}

async function stopFigures({ server, offsetMs, quick, random }) {
  const stops = quick ? 5 : 20;
  const scenarios = [
    { mode: 'cancel endpoint', viaCancel: true, disconnect: 'abort' },
    { mode: 'cancel endpoint', viaCancel: true, disconnect: 'continue' },
    { mode: 'local abort only', viaCancel: false, disconnect: 'continue' },
    { mode: 'local abort only', viaCancel: false, disconnect: 'abort' },
  ];
  const rows = [];
  const raw = [];
  for (const scenario of scenarios) {
    for (const protocol of ['anthropic', 'ai-sdk']) {
      await server.call('reset');
      const client = [];
      for (let i = 0; i < stops; i++) {
        const stopAfter = 5 + Math.floor(random() * 26); // 5–30
        client.push(await oneStop({ base: server.base, protocol, disconnect: scenario.disconnect, viaCancel: scenario.viaCancel, stopAfter }));
        await sleep(20);
      }
      // Local aborts against 'continue' run on: wait for their ends (84 tokens at 50/s < 2 s).
      const ids = client.map((c) => c.streamId);
      const { stats, registry, open } = await settle(server, ids, 10_000);
      const byId = new Map(stats.map((s) => [s.streamId, s]));
      const per = client.map((c) => {
        const s = byId.get(c.streamId);
        const arrivedAt = (scenario.viaCancel ? s.cancelArrivedAt : s.clientGoneAt) ?? null;
        const arrivedLocal = arrivedAt === null ? null : arrivedAt - offsetMs;
        return {
          ...c,
          tokensTotal: s.tokens,
          finished: s.finished,
          aborted: s.abortedAt !== null,
          tokensAfterAbort: s.tokensAfterAbort,
          cancelStatus: s.cancelStatus,
          tokensAfterArrival: scenario.viaCancel ? s.tokensAfterCancel : s.tokensAfterGone,
          arrivalToAbortMs: arrivedAt !== null && s.abortedAt !== null ? s.abortedAt - arrivedAt : null,
          stopToArrivalMs: arrivedLocal === null ? null : arrivedLocal - c.stopCalledAt,
          stopToFinalMs: c.finalAt === null ? null : c.finalAt - c.stopCalledAt,
        };
      });
      const after = per.map((p) => p.tokensAfterArrival).filter((x) => x !== null);
      const toArrival = per.map((p) => p.stopToArrivalMs).filter((x) => x !== null);
      const toFinal = per.map((p) => p.stopToFinalMs).filter((x) => x !== null);
      const remaining = per.map((p) => p.tokensTotal - p.receivedAtStop);
      const clientOk = per.every((p) => p.status === 'incomplete' && p.reason === 'cancelled');
      rows.push({
        stop: scenario.mode,
        onDisconnect: scenario.disconnect,
        protocol,
        stops,
        'tokens after stop reached server: median': after.length === stops ? median(after) : `${after.length}/${stops} arrived`,
        max: after.length ? Math.max(...after) : '-',
        'ran to the end': `${per.filter((p) => p.finished).length}/${stops}`,
        'tokens generated / received at stop (median)': `${median(per.map((p) => p.tokensTotal))} / ${median(per.map((p) => p.receivedAtStop))}`,
        'stop() → at server ms p50 / p95': toArrival.length ? `${round(median(toArrival), 1)} / ${round(quantile(toArrival, 0.95), 1)}` : '-',
        'stop() → client final ms p50 / p95': `${round(median(toFinal), 1)} / ${round(quantile(toFinal, 0.95), 1)}`,
        'client cancelled': clientOk ? `${per.length}/${stops}` : `${per.filter((p) => p.status === 'incomplete' && p.reason === 'cancelled').length}/${stops}`,
        'registry after': registry.size,
      });
      raw.push({
        ...scenario,
        protocol,
        stops,
        tokensAfterArrival: { median: after.length ? median(after) : null, max: after.length ? Math.max(...after) : null, values: after },
        ranToEnd: per.filter((p) => p.finished).length,
        tokensAfterStopUntilEnd: median(remaining),
        stopToArrivalMs: toArrival.length ? { p50: round(median(toArrival), 2), p95: round(quantile(toArrival, 0.95), 2) } : null,
        stopToFinalMs: { p50: round(median(toFinal), 2), p95: round(quantile(toFinal, 0.95), 2) },
        arrivalToAbortMs: (() => {
          const values = per.map((p) => p.arrivalToAbortMs).filter((x) => x !== null);
          return values.length ? { p50: round(median(values), 3), max: round(Math.max(...values), 3) } : null;
        })(),
        tokensAfterAbortMax: Math.max(...per.map((p) => p.tokensAfterAbort)),
        serverConfirmed: per.filter((p) => p.serverConfirmed).length,
        cancelStatuses: [...new Set(per.map((p) => p.cancelStatus))],
        unsettled: open,
        registryAfter: registry,
        stopsDetail: per.map(({ stopCalledAt, finalAt, ...rest }) => rest),
      });
    }
  }
  printTable(
    `tokens after stop: fake model at ${STOP_TPS} tokens/s (default script, 84 tokens), ${stops} stops per row after 5–30 random deltas ` +
      '(target for the cancel endpoint: median ≤ 1 token after the cancel reached the server)',
    rows,
  );
  console.log(
    [
      'tokens after stop reached server: tokens the fake model generated after the cancel request arrived at the server process (cancel endpoint),',
      '  or after the request close reached it (local abort only), counted in the server process on its own clock.',
      'ran to the end: upstream runs that generated the whole script. tokens generated / received at stop: per stream, at the server / at the client when stop() was called.',
      'stop() → at server: from the stop() call to the cancel request (or the close) arriving at the server; → client final: to the session\'s final state.',
    ].join('\n'),
  );
  return { stops, tokensPerSecond: STOP_TPS, rows, scenarios: raw };
}

async function loadFigures({ server, quick, random }) {
  const sessions = quick ? LOAD.quickSessions : LOAD.sessions;
  const tokens = quick ? LOAD.quickTokens : LOAD.tokens;
  const tps = LOAD.tokensPerSecond;
  const expectedMs = (tokens / tps) * 1000;
  const protocols = ['anthropic', 'ai-sdk'];

  await server.call('reset', { registry: true });
  const memStart = await server.call('memory');
  await server.call('sample-start');
  const t0 = performance.now();

  const runs = [];
  for (let i = 0; i < sessions; i++) {
    const protocol = protocols[i % 2];
    const stop = i % 4 < 2; // half of the sessions, half of each protocol (sessions is a multiple of 4)
    const stopAtMs = stop ? Math.round(expectedMs * (0.1 + 0.8 * random())) : null;
    const session = createStreamSession({
      api: `${server.base}/chat?protocol=${protocol}&disconnect=abort&tps=${tps}&tokens=${tokens}`,
      cancelApi: `${server.base}/cancel`,
      protocol,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ input: `stream ${i}` }),
    });
    const entry = { i, protocol, stop, stopAtMs, session, final: session.start(), stopped: null, stopStatus: null };
    if (stop) {
      setTimeout(() => {
        entry.stopStatus = session.getSnapshot().status;
        entry.stopped = session.stop();
      }, stopAtMs);
    }
    runs.push(entry);
  }
  const finals = await Promise.all(runs.map((r) => r.final));
  const clientMs = performance.now() - t0;
  await Promise.all(runs.map((r) => r.stopped));
  const settled = await settle(server, runs.map((r) => r.session.streamId), 15_000);
  const totalMs = performance.now() - t0;
  const sampled = await server.call('sample-stop');
  const byId = new Map(settled.stats.map((s) => [s.streamId, s]));

  const problems = [];
  let cancelledOk = 0;
  let completeOk = 0;
  const afterCancel = [];
  for (const [n, run] of runs.entries()) {
    const s = byId.get(run.session.streamId);
    const snap = finals[n];
    if (run.stop) {
      const ok =
        s.abortedAt !== null &&
        !s.finished &&
        s.cancelStatus === 200 &&
        s.tokensAfterAbort === 0 &&
        snap.status === 'incomplete' &&
        snap.incomplete?.reason === 'cancelled' &&
        snap.incomplete?.serverConfirmed === true;
      if (ok) cancelledOk++;
      else problems.push({ i: run.i, stop: true, stopStatus: run.stopStatus, server: s, client: { status: snap.status, incomplete: snap.incomplete } });
      if (s.tokensAfterCancel !== null) afterCancel.push(s.tokensAfterCancel);
    } else {
      const ok = s.finished && s.abortedAt === null && s.tokens === tokens && snap.status === 'complete' && snap.message.text.length > 0;
      if (ok) completeOk++;
      else problems.push({ i: run.i, stop: false, server: s, client: { status: snap.status, incomplete: snap.incomplete, error: snap.error?.message } });
    }
  }
  const registryAfter = await server.call('registry');
  // Drop the bench's own bookkeeping in the server (fake-model runs with every token time, the
  // per-stream records) before the end measurement; the registry and its finished markers stay.
  await server.call('reset');
  const memEnd = await server.call('memory');
  const registryEnd = await server.call('registry');
  // The client's keep-alive connections stay open (idle) until node:http's keepAliveTimeout (5 s);
  // close them and measure again: what is left is what the streams left behind.
  const idleSockets = await server.call('connections');
  await server.call('close-idle');
  const memIdle = await server.call('memory');

  const stopped = runs.filter((r) => r.stop).length;
  const heapDeltaMiB = (memIdle.heapUsed - memStart.heapUsed) / 2 ** 20;
  const heapRiseMiB = (sampled.peakHeapUsed - memStart.heapUsed) / 2 ** 20;
  // "Back near its start": what stays after the streams (idle sockets closed) is at most 10% of
  // the rise at the peak, or 2 MiB (code compiled on first use, the registry's finished markers).
  const memoryBack = heapDeltaMiB <= Math.max(2, 0.1 * heapRiseMiB);
  const result = {
    sessions,
    stopped,
    tokensPerSecond: tps,
    tokensPerStream: tokens,
    protocols,
    clientMs: round(clientMs, 0),
    totalMs: round(totalMs, 0),
    cancelledUpstreamsAborted: `${cancelledOk}/${stopped}`,
    othersComplete: `${completeOk}/${sessions - stopped}`,
    tokensAfterCancel: { median: afterCancel.length ? median(afterCancel) : null, max: afterCancel.length ? Math.max(...afterCancel) : null, p95: quantile(afterCancel, 0.95) },
    registryAfter,
    registryEnd,
    memory: {
      gcExposed: memStart.gcExposed,
      startRssMiB: MiB(memStart.rss),
      peakRssMiB: MiB(sampled.peakRss),
      endRssMiB: MiB(memEnd.rss),
      startHeapUsedMiB: MiB(memStart.heapUsed),
      peakHeapUsedMiB: MiB(sampled.peakHeapUsed),
      endHeapUsedMiB: MiB(memEnd.heapUsed),
      idleSocketsAtEnd: idleSockets,
      idleClosedRssMiB: MiB(memIdle.rss),
      idleClosedHeapUsedMiB: MiB(memIdle.heapUsed),
      leftHeapUsedMiB: round(heapDeltaMiB, 2),
      peakRiseHeapUsedMiB: round(heapRiseMiB, 2),
      backNearStart: memoryBack,
      samples: sampled.samples,
    },
    problems: problems.slice(0, 10),
    problemCount: problems.length,
    pass: problems.length === 0 && registryAfter.size === 0 && settled.open === 0 && memoryBack,
  };
  printTable(
    `load: ${sessions} concurrent sessions through one server process (fake model ${tps} tokens/s, ${tokens} tokens per stream, anthropic + ai-sdk), ` +
      `${stopped} stopped through the cancel endpoint at a random 10–90% of the way`,
    [
      {
        sessions,
        stopped,
        'cancelled upstreams aborted': result.cancelledUpstreamsAborted,
        'others complete': result.othersComplete,
        'tokens after cancel median / max': `${result.tokensAfterCancel.median} / ${result.tokensAfterCancel.max}`,
        'registry live after': registryAfter.size,
        'time s (all clients ended)': round(clientMs / 1000, 1),
        'RSS MiB start / peak / end / idle closed': `${result.memory.startRssMiB} / ${result.memory.peakRssMiB} / ${result.memory.endRssMiB} / ${result.memory.idleClosedRssMiB}`,
        'heap used MiB start / peak / end / idle closed': `${result.memory.startHeapUsedMiB} / ${result.memory.peakHeapUsedMiB} / ${result.memory.endHeapUsedMiB} / ${result.memory.idleClosedHeapUsedMiB}`,
      },
    ],
  );
  console.log(
    [
      `server memory: process.memoryUsage() of the server process, start and end after global.gc(), peak sampled every 50 ms (${sampled.samples} samples);`,
      `  "end" still holds the ${idleSockets} idle keep-alive connections of the client, "idle closed" after server.closeIdleConnections() (and gc).`,
      `  heap left after the streams: ${round(heapDeltaMiB, 2)} MiB (peak rise ${round(heapRiseMiB, 1)} MiB): ${memoryBack ? 'back near the start' : 'NOT back near the start'}.`,
      `registry counts at the end: ${JSON.stringify(registryEnd.counts)} (finished = markers kept ${60} s for late cancels; they expire on their own).`,
      result.pass ? 'all checks passed.' : `CHECKS FAILED: ${problems.length} stream(s) wrong; first: ${JSON.stringify(problems[0])}`,
    ].join('\n'),
  );
  return result;
}

/** `parts`: which figures to measure (both by default; `--part=stop` or `--part=load` when run alone). */
export async function benchServer({ quick = false, parts = ['stop', 'load'] } = {}) {
  warnIfDistStale();
  const random = seeded(20261121);
  const server = await startServerProcess();
  try {
    const clock = await server.clockOffset();
    // One unmeasured stream per protocol: JIT and connections warm.
    for (const protocol of ['anthropic', 'ai-sdk']) {
      await oneStop({ base: server.base, protocol, disconnect: 'abort', viaCancel: true, stopAfter: 5 });
    }
    const stop = parts.includes('stop') ? await stopFigures({ server, offsetMs: clock.offsetMs, quick, random }) : null;
    const load = parts.includes('load') ? await loadFigures({ server, quick, random }) : null;
    console.log(`clocks: server − client offset ${round(clock.offsetMs, 3)} ms (IPC ping round trip ${round(clock.rttMs, 3)} ms), subtracted from cross-process times.`);
    return {
      server: 'child process (fork, --expose-gc), node:http on 127.0.0.1, dist/server: toNodeHandler(handleModelStream) + toNodeHandler(handleCancel), one in-memory registry',
      client: 'createStreamSession (dist/core) in the parent process, Node fetch',
      clock: { offsetMs: round(clock.offsetMs, 4), rttMs: round(clock.rttMs, 3) },
      stop,
      load,
    };
  } finally {
    await server.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const quick = process.argv.includes('--quick');
  const parts = process.argv.find((a) => a.startsWith('--part='))?.slice(7).split(',');
  const result = await benchServer({ quick, ...(parts ? { parts } : {}) });
  if (process.argv.includes('--json')) console.log(JSON.stringify(result, null, 2));
  if (result.load && !result.load.pass) process.exitCode = 1;
}
