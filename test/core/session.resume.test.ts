import { afterEach, describe, expect, test } from 'vitest';
import { createStreamSession, type StreamSessionOptions, type StreamSessionSnapshot } from '../../src/core/createStreamSession';
import type { Protocol } from '../../src/core/types';
import { scriptUnits, startResumeServer, type Cut, type ResumeServer, type ResumeServerOptions } from '../helpers/resumeServer';

// The session's reconnect (docs/resume.md) against a real server on 127.0.0.1 that keeps the
// resume contract (test/helpers/resumeServer.ts): a stream cut once or twice, anywhere (between
// events, mid-event, mid-character), ends with the very message of an uninterrupted run.

const PROTOCOLS: Protocol[] = ['openai-chat', 'openai-responses', 'anthropic', 'ai-sdk', 'text', 'ndjson'];
const SSE: Protocol[] = ['openai-chat', 'openai-responses', 'anthropic', 'ai-sdk'];

let server: ResumeServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

/** A small deterministic PRNG (mulberry32): the same cut points on every run. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs one session against a fresh resume server; resolves with its end and the server. */
async function run(options: ResumeServerOptions, session: Partial<StreamSessionOptions> = {}): Promise<StreamSessionSnapshot> {
  await server?.close();
  server = await startResumeServer(options);
  return createStreamSession({
    api: `${server.url}/stream`,
    resumeApi: `${server.url}/resume`,
    throttle: false,
    reconnect: { minDelayMs: 1, maxDelayMs: 4 },
    ...session,
  }).start();
}

/** `n` cuts at random units (each at a random byte of it, or at its start), in stream order. */
function randomCuts(units: readonly string[], n: number, next: () => number): Cut[] {
  return Array.from({ length: n }, () => {
    const event = 1 + Math.floor(next() * (units.length - 2));
    return { event, bytes: Math.floor(next() * Buffer.byteLength(units[event]!)) };
  }).sort((a, b) => a.event - b.event).filter((cut, i, all) => i === 0 || cut.event !== all[i - 1]!.event);
}

/** A cut in the middle of the first multi-byte character of the stream (its second byte). */
function midCharacterCut(units: readonly string[]): Cut {
  const event = units.findIndex((unit) => /[^\x00-\x7f]/.test(unit));
  const at = units[event]!.search(/[^\x00-\x7f]/);
  return { event, bytes: Buffer.byteLength(units[event]!.slice(0, at)) + 1 };
}

describe.each(PROTOCOLS)('%s: a stream cut and resumed ends as an uninterrupted one', (protocol) => {
  let baseline: StreamSessionSnapshot;

  test('the uninterrupted run (resumeApi set, no cut): complete, no resume request', async () => {
    baseline = await run({ protocol });
    expect(baseline.status).toBe('complete');
    expect(baseline.message.text.length).toBeGreaterThan(100);
    expect(server!.resumes).toHaveLength(0);
    // The same as a session without resumeApi.
    const plain = await run({ protocol }, { resumeApi: undefined });
    expect(plain.message).toEqual(baseline.message);
  });

  test.each([1, 2, 3])('cut once and twice at random points (seed %i)', async (seed) => {
    const next = random(seed * 7919 + protocol.length);
    const { units } = await scriptUnits(protocol);
    for (const n of [1, 2]) {
      const cuts = randomCuts(units, n, next);
      const final = await run({ protocol, cuts: cuts.map((cut) => ({ ...cut })) });
      expect({ status: final.status, error: final.error }, JSON.stringify(cuts)).toEqual({ status: 'complete', error: null });
      expect(final.message, JSON.stringify(cuts)).toEqual(baseline.message);
      expect(server!.resumes).toHaveLength(cuts.length);
    }
  });

  test('cut mid-character (and mid-event), then again at an event boundary', async () => {
    const { units } = await scriptUnits(protocol);
    const first = midCharacterCut(units);
    const final = await run({ protocol, cuts: [first, { event: Math.min(first.event + 5, units.length - 1), bytes: 0 }] });
    expect(final.status).toBe('complete');
    expect(final.message).toEqual(baseline.message);
    expect(server!.resumes).toHaveLength(2);
  });

  test.runIf(protocol !== 'text')('a body that ends cleanly without the finish is resumed too', async () => {
    const { units } = await scriptUnits(protocol);
    const final = await run({ protocol, cuts: [{ event: Math.floor(units.length / 3), bytes: 9, how: 'end' }] });
    expect(final.status).toBe('complete');
    expect(final.message).toEqual(baseline.message);
    expect(server!.resumes).toHaveLength(1);
  });

  test('the resume request: GET with the stream id, the secret and the cursor', async () => {
    const final = await run({ protocol, cuts: [{ event: 10, bytes: 0 }] });
    expect(final.status).toBe('complete');
    const [resume] = server!.resumes;
    const stream = server!.requests[0]!;
    expect(resume!.method).toBe('GET');
    expect(resume!.url).toBe(`/resume?streamId=${encodeURIComponent(String(stream.headers['x-stream-id']))}`);
    expect(resume!.headers['x-stream-cancel-secret']).toBe(stream.headers['x-stream-cancel-secret']);
    const tenBytes = server!.units.slice(0, 10).reduce((sum, unit) => sum + Buffer.byteLength(unit), 0);
    expect(resume!.headers['last-event-id']).toBe(SSE.includes(protocol) ? `${tenBytes}.a1b2` : String(tenBytes));
  });
});

describe('the resume address and a stream without cursors', () => {
  test('a resumeApi with a query string of its own: the stream id is added with `&`', async () => {
    // Failed before the fix: `GET /resume?tenant=a1?streamId=…` (the server saw no stream id: 404,
    // the stream ended `disconnected`).
    await server?.close();
    server = await startResumeServer({ protocol: 'anthropic', cuts: [{ event: 8, bytes: 3 }] });
    const final = await createStreamSession({
      api: `${server.url}/stream`,
      resumeApi: `${server.url}/resume?tenant=a1`,
      throttle: false,
      reconnect: { minDelayMs: 1, maxDelayMs: 4 },
    }).start();
    expect(final.status).toBe('complete');
    const stream = server.requests[0]!;
    expect(server.resumes[0]!.url).toBe(`/resume?tenant=a1&streamId=${encodeURIComponent(String(stream.headers['x-stream-id']))}`);
  });

  test.each(SSE)('%s: SSE events without ids cut mid-answer end `disconnected` with what was shown, never replayed twice', async (protocol) => {
    // Without an `id:` there is no cursor: a resume would ask for the stream from its start and
    // append it to the text already shown. Failed before the fix: the resume ran, the text doubled.
    const shownAtCut = await run({ protocol, noIds: true, cuts: [{ event: 12, bytes: 0 }] });
    expect(shownAtCut.status).toBe('incomplete');
    expect(shownAtCut.incomplete?.reason).toBe('disconnected');
    expect(server!.resumes).toHaveLength(0);
    const whole = await run({ protocol });
    expect(whole.message.text.startsWith(shownAtCut.message.text)).toBe(true);
    expect(shownAtCut.message.text.length).toBeLessThan(whole.message.text.length);
  });
});
