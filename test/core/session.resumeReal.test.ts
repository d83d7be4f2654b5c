/**
 * The session's reconnect against the library's own server (`handleModelStream` with `resume`,
 * `handleResume`, `handleCancel`, one in-memory registry), over real HTTP on 127.0.0.1: the socket
 * of the stream's answer (and of each resume) is destroyed after a random number of bytes, the way
 * a network drop cuts it. The final message equals an uninterrupted run's, for every wire format.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { createStreamSession, type StreamSessionSnapshot } from '../../src/core/createStreamSession';
import type { Protocol } from '../../src/core/types';
import { createStreamRegistry } from '../../src/server/createStreamRegistry';
import { createFakeModel } from '../../src/server/fakeModel/createFakeModel';
import { handleCancel } from '../../src/server/handleCancel';
import { handleModelStream } from '../../src/server/handleModelStream';
import { handleResume } from '../../src/server/handleResume';
import { toNodeHandler } from '../../src/server/toNodeHandler';
import { seededRandom } from '../helpers/fixtures';

const PROTOCOLS: Protocol[] = ['openai-chat', 'openai-responses', 'anthropic', 'ai-sdk', 'text', 'ndjson'];

type App = { url: string; server: Server; close(): Promise<void>; requests: string[]; tokensAfterAbort: () => number };
let app: App | null = null;
afterEach(async () => {
  await app?.close();
  app = null;
});

/** Destroys the socket once `limit` body bytes went out (`null`: never). */
function cutAfter(res: ServerResponse, limit: number | null): void {
  if (limit === null) return;
  let sent = 0;
  const write = res.write.bind(res) as (chunk: unknown, ...rest: unknown[]) => boolean;
  res.write = ((chunk: unknown, ...rest: unknown[]) => {
    const size = typeof chunk === 'string' ? Buffer.byteLength(chunk) : (chunk as Uint8Array).length;
    if (sent + size > limit) {
      const keep = Math.max(0, limit - sent);
      if (keep > 0) write(Buffer.from(chunk as Uint8Array).subarray(0, keep));
      sent = limit;
      // Let the kept bytes go out, then cut, as a dropped network would.
      setImmediate(() => res.socket?.destroy());
      return true;
    }
    sent += size;
    return write(chunk, ...rest);
  }) as typeof res.write;
}

async function startApp(protocol: Protocol, cuts: (number | null)[], intervalMs = 1): Promise<App> {
  const registry = createStreamRegistry();
  const model = createFakeModel({ protocol, intervalMs, id: 'resp_fixed' });
  const requests: string[] = [];
  const stream = toNodeHandler((request) => handleModelStream(request, { registry, protocol, resume: true, upstream: (signal) => model.stream(signal) }));
  const resume = toNodeHandler((request) => handleResume(request, { registry }));
  const cancel = toNodeHandler((request) => handleCancel(request, { registry }));
  let answers = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]!;
    requests.push(`${req.method} ${path} ${req.headers['last-event-id'] ?? ''}`.trim());
    if (path === '/cancel') return cancel(req, res);
    cutAfter(res, cuts[answers++] ?? null);
    return path === '/resume' ? resume(req, res) : stream(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    server,
    requests,
    tokensAfterAbort: () => model.runs[0]?.tokensAfterAbort ?? 0,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await registry.close();
    },
  };
}

async function run(protocol: Protocol, cuts: (number | null)[]): Promise<StreamSessionSnapshot> {
  await app?.close();
  app = await startApp(protocol, cuts);
  return createStreamSession({
    api: `${app.url}/stream`,
    resumeApi: `${app.url}/resume`,
    protocol,
    throttle: false,
    reconnect: { minDelayMs: 1, maxDelayMs: 5 },
  }).start();
}

describe.each(PROTOCOLS)('%s against handleModelStream + handleResume', (protocol) => {
  test('cut twice at random byte counts (any place: mid-event, mid-character), the message is the uninterrupted one', async () => {
    const baseline = await run(protocol, []);
    expect(baseline.status).toBe('complete');
    const random = seededRandom(protocol.length * 7919);
    for (let trial = 0; trial < 4; trial++) {
      const span = protocol === 'text' ? Buffer.byteLength(baseline.message.text) - 2 : 1500; // plain text: its body is its text
      const first = 1 + Math.floor(random() * span);
      const second = 1 + Math.floor(random() * span);
      const final = await run(protocol, [first, second]);
      expect(final.status, `cuts ${first}, ${second}`).toBe('complete');
      expect(final.message).toEqual(baseline.message);
      expect(app!.requests.filter((r) => r.startsWith('GET /resume')).length).toBeGreaterThanOrEqual(1);
    }
  });
});

test('Stop on a resumed stream cancels the upstream: confirmed, at most one token after', async () => {
  await app?.close();
  app = await startApp('anthropic', [900], 20);
  const session = createStreamSession({
    api: `${app.url}/stream`,
    resumeApi: `${app.url}/resume`,
    cancelApi: `${app.url}/cancel`,
    throttle: false,
    reconnect: { minDelayMs: 1, maxDelayMs: 5 },
  });
  const done = session.start();
  // Wait for the resume to be streaming again.
  await new Promise<void>((resolve) => {
    const off = session.subscribe(() => {
      if (session.getSnapshot().status === 'streaming' && app!.requests.some((r) => r.startsWith('GET /resume'))) {
        off();
        resolve();
      }
    });
  });
  const stopped = await session.stop();
  expect(stopped.serverConfirmed).toBe(true);
  const final = await done;
  expect(final.incomplete).toMatchObject({ reason: 'cancelled', serverConfirmed: true });
  expect(app.tokensAfterAbort()).toBeLessThanOrEqual(1);
});
