/**
 * The server figures of bench/server.mjs, as assertions (smaller, in one process, from src/):
 * - a Stop through the cancel endpoint stops the fake model within one token interval of the
 *   cancel's arrival at the server;
 * - the same stop as a local abort only, against `onDisconnect: 'continue'`, lets the model run
 *   to its end (what a client without a cancel endpoint gets from a resumable server);
 * - 50 concurrent streams, half stopped: every stopped upstream aborted, every other complete,
 *   the registry empty afterwards.
 *
 * Only generous timing bounds: the box may be a loaded 2-core CI machine.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createStreamSession, type StreamSessionSnapshot } from '../../src/core';
import {
  createFakeModel,
  createStreamRegistry,
  handleCancel,
  handleModelStream,
  toNodeHandler,
  type DisconnectPolicy,
  type FakeModelRun,
  type FakeModelScript,
  type InMemoryStreamRegistry,
} from '../../src/server';

type Protocol = 'anthropic' | 'ai-sdk';

/** What the server saw of one stream, on its own clock (performance.now(), as the fake model's tokenTimes). */
type Seen = {
  run: FakeModelRun | null;
  cancelArrivedAt: number | null;
  /** HTTP status of the cancel answer, and when it was sent */
  cancelStatus: number | null;
  cancelAnsweredAt: number | null;
  clientGoneAt: number | null;
};

type FiguresServer = {
  url: string;
  registry: InMemoryStreamRegistry;
  seen: Map<string, Seen>;
  close(): Promise<void>;
};

/**
 * A real node:http server: `POST /chat?protocol=…&tps=…&tokens=…` is handleModelStream over the
 * fake model, `POST /cancel` is handleCancel. Records when the cancel request arrived (the node:http
 * `request` event, before handleCancel reads it) and when the client went away (the Request
 * signal handleModelStream listens to).
 */
async function startFiguresServer(onDisconnect: DisconnectPolicy): Promise<FiguresServer> {
  const registry = createStreamRegistry();
  const model = createFakeModel();
  const seen = new Map<string, Seen>();
  const bySecret = new Map<string, string>();
  const chat = toNodeHandler((request) => {
    const url = new URL(request.url);
    const protocol = (url.searchParams.get('protocol') ?? 'anthropic') as Protocol;
    const tokens = url.searchParams.get('tokens');
    const streamId = request.headers.get('x-stream-id') ?? '';
    bySecret.set(request.headers.get('x-stream-cancel-secret') ?? '', streamId);
    const record: Seen = { run: null, cancelArrivedAt: null, cancelStatus: null, cancelAnsweredAt: null, clientGoneAt: null };
    seen.set(streamId, record);
    request.signal.addEventListener('abort', () => (record.clientGoneAt ??= performance.now()), { once: true });
    return handleModelStream(request, {
      registry,
      protocol,
      onDisconnect,
      upstream: (signal) => {
        const response = model.stream(signal, {
          protocol,
          tokensPerSecond: Number(url.searchParams.get('tps') ?? 50),
          ...(tokens ? { script: textScript(Number(tokens)) } : {}),
        });
        record.run = model.runs[model.runs.length - 1]!;
        return response;
      },
    });
  });
  const cancel = toNodeHandler((request) => handleCancel(request, { registry }));
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path === '/cancel') {
      const arrivedAt = performance.now();
      const record = seen.get(bySecret.get(String(req.headers['x-stream-cancel-secret'])) ?? '');
      if (record) {
        record.cancelArrivedAt ??= arrivedAt;
        res.on('finish', () => {
          record.cancelStatus = res.statusCode;
          record.cancelAnsweredAt = performance.now();
        });
      }
      cancel(req, res);
    } else if (path === '/chat') {
      chat(req, res);
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    registry,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
        void registry.close();
      }),
  };
}

/** A text-only script of exactly `n` tokens (" word" is one token). */
function textScript(n: number): FakeModelScript {
  return { text: Array.from({ length: n }, (_, i) => (i === 0 ? 'word' : ' word')).join(''), inputTokens: 3 };
}

const DELTAS = new Set(['text-delta', 'reasoning-delta', 'tool-call-delta']);
/** The fake model's default script: 19 reasoning + 55 text + 10 tool-argument tokens. */
const DEFAULT_SCRIPT_TOKENS = 84;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!; // odd counts only

const tokensAfter = (run: FakeModelRun, t: number) => run.tokenTimes.filter((time) => time > t).length;

/** Starts a session, waits for `stopAfter` deltas, stops it; resolves with the final snapshot. */
async function stopAfterDeltas(
  server: FiguresServer,
  options: { protocol: Protocol; stopAfter: number; viaCancel: boolean },
): Promise<{ streamId: string; received: number; snapshot: StreamSessionSnapshot; serverConfirmed: boolean }> {
  let received = 0;
  let reached: () => void = () => {};
  const enough = new Promise<void>((resolve) => (reached = resolve));
  const session = createStreamSession({
    api: `${server.url}/chat?protocol=${options.protocol}&tps=50`,
    ...(options.viaCancel ? { cancelApi: `${server.url}/cancel` } : {}),
    protocol: options.protocol,
    headers: { 'content-type': 'application/json' },
    body: '{"input":"coffee"}',
    onEvent: (event) => {
      if (DELTAS.has(event.type) && ++received >= options.stopAfter) reached();
    },
  });
  const final = session.start();
  const endedFirst = await Promise.race([enough.then(() => null), final]);
  if (endedFirst) {
    const { status, incomplete, error } = endedFirst;
    throw new Error(`the stream ended before ${options.stopAfter} deltas arrived: ${status} ${JSON.stringify(incomplete)} ${error?.message ?? ''}`);
  }
  const atStop = received;
  const { serverConfirmed } = await session.stop();
  return { streamId: session.streamId, received: atStop, snapshot: await final, serverConfirmed };
}

let current: FiguresServer | null = null;
afterEach(async () => {
  await current?.close();
  current = null;
});

describe('figures: tokens generated after Stop (fake model at 50 tokens/s, one token every 20 ms)', () => {
  it('a Stop through the cancel endpoint: median ≤ 1 token after the cancel reaches the server, none after the abort', async () => {
    current = await startFiguresServer('abort');
    const after: number[] = [];
    const windowMs: number[] = [];
    const plan: [Protocol, number][] = [
      ['anthropic', 5],
      ['ai-sdk', 9],
      ['anthropic', 13],
      ['ai-sdk', 17],
      ['anthropic', 21],
      ['ai-sdk', 25],
      ['anthropic', 29],
    ];
    for (const [protocol, stopAfter] of plan) {
      const stop = await stopAfterDeltas(current, { protocol, stopAfter, viaCancel: true });
      expect(stop.snapshot.status).toBe('incomplete');
      expect(stop.snapshot.incomplete).toMatchObject({ reason: 'cancelled', serverConfirmed: true });
      expect(stop.serverConfirmed).toBe(true);
      const seen = current.seen.get(stop.streamId)!;
      const run = seen.run!;
      expect(seen.cancelArrivedAt).not.toBeNull();
      expect(run.abortedAt).not.toBeNull();
      expect(run.finished).toBe(false);
      expect(run.tokensAfterAbort).toBe(0); // the model honours its signal at once
      expect(run.tokens).toBeLessThan(DEFAULT_SCRIPT_TOKENS);
      after.push(tokensAfter(run, seen.cancelArrivedAt!));
      windowMs.push(run.abortedAt! - seen.cancelArrivedAt!);
    }
    // The figure: median ≤ 1 token after the cancel reached the server (the target).
    // Between the cancel's arrival and the abort the server reads a ~50-byte body, hashes the secret
    // (Web Crypto SHA-256, on libuv's thread pool in Node) and looks it up: about a millisecond on
    // an idle box, so no token or one. The max is not asserted: here client, server and model share
    // one event loop in a test process that may be starved of CPU, and with two busy loops beside
    // it on a 2-core box the thread-pool hash alone took 20–40 ms and the whole window up to 300 ms
    // (in 4 of 18 such runs one stop saw 2 to 6 tokens; the median stayed ≤ 1 in every run). That
    // is the box, not the library:
    // the library's part is exact, `tokensAfterAbort === 0` above (nothing after the abort) and
    // a window bounded below. bench/server.mjs measures median and max with the server in its own
    // process (20 stops per row).
    const detail = `tokens after each cancel arrived: ${after.join(', ')}; arrival → abort ms: ${windowMs.map((ms) => ms.toFixed(1)).join(', ')}`;
    expect(median(after), detail).toBeLessThanOrEqual(1);
    // Generous: the cancel is handled at once, not at the end of the stream (84 tokens = 1.7 s) or
    // when the client finally disconnects.
    expect(Math.max(...windowMs), detail).toBeLessThan(1500);
    await waitFor(() => current!.registry.size() === 0, 'the registry to empty');
    expect(current.registry.counts().streams).toBe(0);
  }, 30_000);

  it("a local abort only (no cancel endpoint) against onDisconnect 'continue': the model runs on to the end; with the default 'abort' it stops", async () => {
    const continuing = await startFiguresServer('continue');
    current = continuing;
    const stops = await Promise.all([
      stopAfterDeltas(continuing, { protocol: 'anthropic', stopAfter: 10, viaCancel: false }),
      stopAfterDeltas(continuing, { protocol: 'ai-sdk', stopAfter: 20, viaCancel: false }),
    ]);
    for (const stop of stops) {
      // The client calls it cancelled, but the server was never told.
      expect(stop.snapshot.incomplete).toMatchObject({ reason: 'cancelled', serverConfirmed: false });
      const seen = continuing.seen.get(stop.streamId)!;
      await waitFor(() => seen.run!.finished, 'the upstream to run to its end');
      expect(seen.clientGoneAt).not.toBeNull();
      expect(seen.run!.abortedAt).toBeNull();
      expect(seen.run!.tokens).toBe(DEFAULT_SCRIPT_TOKENS);
      // The rest of the answer was generated (and billed) after the stop reached the server, for
      // nobody (more than half of it: some tokens are in flight when the client stops).
      expect(tokensAfter(seen.run!, seen.clientGoneAt!)).toBeGreaterThan((DEFAULT_SCRIPT_TOKENS - stop.received) / 2);
    }
    await waitFor(() => continuing.registry.size() === 0, 'the registry to empty');
    await continuing.close();

    // The same local abort against the default policy: the disconnect aborts the upstream.
    const aborting = await startFiguresServer('abort');
    current = aborting;
    const stop = await stopAfterDeltas(aborting, { protocol: 'anthropic', stopAfter: 10, viaCancel: false });
    const seen = aborting.seen.get(stop.streamId)!;
    await waitFor(() => seen.run!.abortedAt !== null, 'the upstream to abort');
    expect(seen.run!.finished).toBe(false);
    expect(seen.run!.tokensAfterAbort).toBe(0);
    await waitFor(() => aborting.registry.size() === 0, 'the registry to empty');
  }, 30_000);
});

describe('figures: load', () => {
  it('50 concurrent streams, half stopped mid-way: every stopped upstream aborted, every other complete, the registry empty', async () => {
    current = await startFiguresServer('abort');
    const server = current;
    const TOKENS = 60;
    const TPS = 50; // ~1.2 s per complete stream
    const sessions = Array.from({ length: 50 }, (_, i) => {
      const protocol: Protocol = i % 2 === 0 ? 'anthropic' : 'ai-sdk';
      const stop = i % 4 < 2;
      const session = createStreamSession({
        api: `${server.url}/chat?protocol=${protocol}&tps=${TPS}&tokens=${TOKENS}`,
        cancelApi: `${server.url}/cancel`,
        // On a starved box (client, server and 50 models on one event loop, other suites beside
        // it) a cancel request once took over the default 3 s bound to arrive; the client then
        // ends unconfirmed and aborts locally. That is the stop contract working, but this test is
        // about the server, so the client waits for the server's answer.
        cancelTimeoutMs: 20_000,
        protocol,
        headers: { 'content-type': 'application/json' },
        body: `{"input":"stream ${i}"}`,
      });
      const final = session.start();
      // Spread the stops over ~15–75% of the way (deterministic, no randomness in a test).
      const stopped = stop ? sleep(180 + ((i * 37) % 720)).then(() => session.stop()) : Promise.resolve(null);
      return { i, stop, session, final, stopped };
    });
    const finals = await Promise.all(sessions.map((s) => s.final));
    await Promise.all(sessions.map((s) => s.stopped));
    await waitFor(
      () => sessions.every((s) => {
        const run = server.seen.get(s.session.streamId)?.run;
        return run != null && (run.finished || run.abortedAt !== null);
      }),
      'every upstream to end',
    );
    await waitFor(() => server.registry.size() === 0, 'the registry to empty');

    for (const [n, s] of sessions.entries()) {
      const seen = server.seen.get(s.session.streamId)!;
      const run = seen.run!;
      const snapshot = finals[n]!;
      if (s.stop) {
        expect({ i: s.i, aborted: run.abortedAt !== null, finished: run.finished, tokensAfterAbort: run.tokensAfterAbort }).toEqual({
          i: s.i,
          aborted: true,
          finished: false,
          tokensAfterAbort: 0,
        });
        expect(seen.cancelArrivedAt).not.toBeNull();
        const detail = JSON.stringify({
          i: s.i,
          incomplete: snapshot.incomplete,
          cancelStatus: seen.cancelStatus,
          cancelMs: seen.cancelAnsweredAt! - seen.cancelArrivedAt!,
          run: { tokens: run.tokens, abortedAfterArrivalMs: run.abortedAt! - seen.cancelArrivedAt!, goneAfterArrivalMs: seen.clientGoneAt === null ? null : seen.clientGoneAt - seen.cancelArrivedAt! },
        });
        expect(snapshot.incomplete, detail).toMatchObject({ reason: 'cancelled', serverConfirmed: true });
      } else {
        expect({ i: s.i, finished: run.finished, aborted: run.abortedAt !== null, tokens: run.tokens, status: snapshot.status }).toEqual({
          i: s.i,
          finished: true,
          aborted: false,
          tokens: TOKENS,
          status: 'complete',
        });
        expect(snapshot.message.text.length).toBe(TOKENS * 5 - 1);
      }
    }
    expect(server.registry.counts()).toMatchObject({ streams: 0, tombstones: 0 });
  }, 30_000);
});
