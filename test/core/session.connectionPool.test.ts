import { afterEach, describe, expect, test, vi } from 'vitest';
import { createCancelRequest } from '../../src/core/createCancelRequest';
import { createStreamSession, type StreamSession } from '../../src/core/createStreamSession';
import { defaultConnectionsPerHost, openStreamsTo, originOf, trackOpenStream } from '../../src/core/openStreams';
import { startHttpServer, type RecordedRequest, type TestServer } from '../helpers/httpServer';
import { part, SSE_HEADERS as SSE } from '../helpers/sse';

// A Stop must not wait in the browser's connection pool behind the page's own streams (6 per
// HTTP/1.1 host; measured in docs/e2e.md, scenario 2). Node's fetch has no such limit, so these
// tests set `connectionsPerHost` low and assert what the session does at the limit: it sends the
// cancel, then frees its own connection without waiting for the answer. Below the limit, or with
// the cancel on another origin, the usual order (cancel answered, then the abort) is unchanged.
// Order comes from the real server's event log.

const WAIT = { timeout: 10_000, interval: 5 };

let server: TestServer | null = null;
const sessions: StreamSession[] = [];
afterEach(async () => {
  for (const session of sessions.splice(0)) session.disconnect();
  await server?.close();
  server = null;
  vi.unstubAllGlobals();
});

/**
 * A server whose `/chat` streams `Hello` and stays open, and whose `/cancel` answers
 * `{"status":"cancelled"}` after `cancelDelayMs`; the cancel's arrival and answer are logged.
 */
async function startServer(cancelDelayMs: number) {
  const streams = new Map<string, RecordedRequest>();
  server = await startHttpServer(async (request) => {
    if (request.url === '/chat') {
      streams.set(String(request.headers['x-stream-id']), request);
      request.res.writeHead(200, SSE);
      request.res.write(part({ type: 'start' }) + part({ type: 'text-delta', id: '0', delta: 'Hello' }));
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, cancelDelayMs));
    server!.events.push(`cancel answered ${JSON.parse(request.body).streamId}`);
    request.res.writeHead(200, { 'content-type': 'application/json' });
    request.res.end('{"status":"cancelled"}');
  });
  return streams;
}

/** Stops `session` and checks the usual order: the cancel answered, then the stream's connection closed. */
async function stopInTheUsualOrder(session: StreamSession, streams: Map<string, RecordedRequest>) {
  await expect(session.stop()).resolves.toEqual({ serverConfirmed: true });
  await streams.get(session.streamId)!.closed;
  const events = server!.events;
  expect(events.indexOf(`cancel answered ${session.streamId}`)).toBeLessThan(events.indexOf('abort POST /chat'));
}

function open(options: Parameters<typeof createStreamSession>[0]) {
  const session = createStreamSession({ throttle: false, drainMs: 0, ...options });
  sessions.push(session);
  const done = session.start();
  return { session, done };
}

describe('stop() with the connection pool full', () => {
  test('http: at the limit, the stream connection closes right after the cancel is sent, before it answers; still confirmed', async () => {
    const streams = await startServer(800);
    const api = `${server!.url}/chat`;
    const cancelApi = `${server!.url}/cancel`;
    const a = open({ api, cancelApi, connectionsPerHost: 2 });
    const b = open({ api, cancelApi, connectionsPerHost: 2 });
    await vi.waitFor(() => expect([a, b].map((s) => s.session.getSnapshot().message.text)).toEqual(['Hello', 'Hello']), WAIT);
    expect(openStreamsTo(originOf(api)!)).toBe(2);

    const clickedAt = performance.now();
    const stopped = a.session.stop();
    const stream = streams.get(a.session.streamId)!;
    await expect(stream.closed).resolves.toEqual({ aborted: true });
    const closedAfterMs = performance.now() - clickedAt;

    await expect(stopped).resolves.toEqual({ serverConfirmed: true });
    const final = await a.done;
    expect(final.status).toBe('incomplete');
    expect(final.incomplete).toEqual({ reason: 'cancelled', serverConfirmed: true });
    expect(final.message.text).toBe('Hello');

    // The cancel was sent first, the connection closed before the cancel's (800 ms late) answer.
    const events = server!.events;
    const cancelRequest = events.indexOf('request POST /cancel');
    const streamClosed = events.indexOf(`abort POST /chat`);
    const cancelAnswered = events.indexOf(`cancel answered ${a.session.streamId}`);
    expect(cancelRequest).toBeGreaterThanOrEqual(0);
    expect(streamClosed).toBeGreaterThan(cancelRequest);
    expect(cancelAnswered).toBeGreaterThan(streamClosed);
    expect(closedAfterMs).toBeLessThan(700);

    // The other stream is untouched, and the stopped one no longer counts.
    expect(b.session.getSnapshot().status).toBe('streaming');
    expect(openStreamsTo(originOf(api)!)).toBe(1);
  });

  test('below the limit the order is unchanged: the cancel answers, then the connection closes', async () => {
    const streams = await startServer(300);
    const api = `${server!.url}/chat`;
    const a = open({ api, cancelApi: `${server!.url}/cancel`, connectionsPerHost: 2 });
    await vi.waitFor(() => expect(a.session.getSnapshot().message.text).toBe('Hello'), WAIT);

    await stopInTheUsualOrder(a.session, streams);
  });

  test('a cancel on another origin is not queued behind these streams: order unchanged', async () => {
    const streams = await startServer(300);
    const api = `${server!.url}/chat`;
    // The same server under another host name is another origin (its own browser pool).
    const cancelApi = `${server!.url.replace('127.0.0.1', 'localhost')}/cancel`;
    const a = open({ api, cancelApi, connectionsPerHost: 1 });
    await vi.waitFor(() => expect(a.session.getSnapshot().message.text).toBe('Hello'), WAIT);
    expect(openStreamsTo(originOf(api)!)).toBe(1);

    await stopInTheUsualOrder(a.session, streams);
  });

  test('over the limit (a stream queued before the cancel would take the freed connection): order unchanged', async () => {
    const streams = await startServer(300);
    const api = `${server!.url}/chat`;
    const cancelApi = `${server!.url}/cancel`;
    const all = [0, 1, 2].map(() => open({ api, cancelApi, connectionsPerHost: 2 }));
    await vi.waitFor(() => expect(all.map((s) => s.session.getSnapshot().message.text)).toEqual(['Hello', 'Hello', 'Hello']), WAIT);
    await stopInTheUsualOrder(all[0]!.session, streams);
  });

  test('a cancel function of its own (no cancelApi: it may not even be HTTP) is never helped by closing the stream', async () => {
    const streams = await startServer(300);
    const api = `${server!.url}/chat`;
    const a = open({ api, cancel: createCancelRequest(`${server!.url}/cancel`), connectionsPerHost: 1 });
    await vi.waitFor(() => expect(a.session.getSnapshot().message.text).toBe('Hello'), WAIT);
    await stopInTheUsualOrder(a.session, streams);
  });

  test('https: at the limit, the connection is freed only when the cancel is 500 ms late (HTTP/2 has no limit)', async () => {
    // An https origin for the session, served by the local http server through a rewriting fetch.
    const streams = await startServer(1500);
    const local = server!.url;
    const viaLocal: typeof fetch = (input, init) => fetch(String(input).replace('https://model.example', local), init);
    const api = 'https://model.example/chat';
    const a = open({ api, cancelApi: 'https://model.example/cancel', fetch: viaLocal, connectionsPerHost: 1 });
    await vi.waitFor(() => expect(a.session.getSnapshot().message.text).toBe('Hello'), WAIT);

    const clickedAt = performance.now();
    const stopped = a.session.stop();
    await streams.get(a.session.streamId)!.closed;
    const closedAfterMs = performance.now() - clickedAt;
    expect(closedAfterMs).toBeGreaterThanOrEqual(450);
    expect(closedAfterMs).toBeLessThan(1400);
    await expect(stopped).resolves.toEqual({ serverConfirmed: true });
    const events = server!.events;
    expect(events.indexOf('abort POST /chat')).toBeLessThan(events.indexOf(`cancel answered ${a.session.streamId}`));
  });

  test('https: a cancel that answers within the grace keeps the usual order', async () => {
    const streams = await startServer(50);
    const local = server!.url;
    const viaLocal: typeof fetch = (input, init) => fetch(String(input).replace('https://model.example', local), init);
    const a = open({ api: 'https://model.example/chat', cancelApi: 'https://model.example/cancel', fetch: viaLocal, connectionsPerHost: 1 });
    await vi.waitFor(() => expect(a.session.getSnapshot().message.text).toBe('Hello'), WAIT);

    await stopInTheUsualOrder(a.session, streams);
  });

  test('every way a stream ends releases its count', async () => {
    server = await startHttpServer((request) => {
      if (request.url === '/fail') {
        request.res.writeHead(500);
        request.res.end();
        return;
      }
      request.res.writeHead(200, SSE);
      request.res.end(part({ type: 'start' }) + part({ type: 'text-delta', id: '0', delta: 'x' }) + part({ type: 'finish' }) + 'data: [DONE]\n\n');
    });
    const origin = originOf(server.url)!;
    const finished = open({ api: `${server.url}/ok` });
    const failed = open({ api: `${server.url}/fail` });
    const dropped = open({ api: `${server.url}/ok` });
    dropped.session.disconnect();
    const unreachable = open({ api: 'http://127.0.0.1:1/nothing' });
    await Promise.all([finished.done, failed.done, dropped.done, unreachable.done]);
    expect(finished.session.getSnapshot().status).toBe('complete');
    expect(failed.session.getSnapshot().incomplete?.reason).toBe('error');
    expect(openStreamsTo(origin)).toBe(0);
    expect(openStreamsTo('http://127.0.0.1:1')).toBe(0);
  });
});

describe('openStreams', () => {
  test('counts per origin; a release counts once', () => {
    const one = trackOpenStream('http://a.example/x');
    const two = trackOpenStream('http://a.example/y?z');
    const other = trackOpenStream('https://a.example/x');
    expect(openStreamsTo('http://a.example')).toBe(2);
    expect(openStreamsTo('https://a.example')).toBe(1);
    one();
    one();
    expect(openStreamsTo('http://a.example')).toBe(1);
    two();
    other();
    expect(openStreamsTo('http://a.example')).toBe(0);
    expect(openStreamsTo('https://a.example')).toBe(0);
  });

  test('a relative URL resolves against the page, or is not counted where there is none', () => {
    expect(originOf('/api/chat')).toBeNull(); // Node: no location
    vi.stubGlobal('location', { href: 'http://app.example:3000/chat/1' });
    expect(originOf('/api/chat')).toBe('http://app.example:3000');
  });

  test('the limit: 6 in a browser, none in Node, jsdom or happy-dom', () => {
    expect(defaultConnectionsPerHost()).toBe(Infinity); // Node 20 has no navigator
    const agents: [string, number][] = [
      ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36', 6],
      ['Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:133.0) Gecko/20100101 Firefox/133.0', 6],
      ['Mozilla/5.0 (linux) AppleWebKit/537.36 (KHTML, like Gecko) jsdom/26.1.0', Infinity],
      ['Mozilla/5.0 (X11; Linux x64) AppleWebKit/537.36 (KHTML, like Gecko) HappyDOM/20.0.0', Infinity],
      ['Node.js/22', Infinity],
    ];
    for (const [userAgent, limit] of agents) {
      vi.stubGlobal('navigator', { userAgent });
      expect(defaultConnectionsPerHost(), userAgent).toBe(limit);
    }
  });
});
