/**
 * The resume log and endpoint (docs/resume.md), over a real HTTP server on 127.0.0.1, with the
 * in-memory registry and the fake model in every wire format.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { collectStream } from '../../src/core/collectStream';
import type { Protocol } from '../../src/core/types';
import { createStreamRegistry, type InMemoryStreamRegistry } from '../../src/server/createStreamRegistry';
import { createFakeModel, type FakeModel } from '../../src/server/fakeModel/createFakeModel';
import { handleCancel } from '../../src/server/handleCancel';
import { handleModelStream } from '../../src/server/handleModelStream';
import { handleResume } from '../../src/server/handleResume';
import { ClientQueue } from '../../src/server/internal/pumpUpstream';
import type { ResumeOptions } from '../../src/server/internal/resume/resolveResume';
import { newStream, postCancel, sleep, startServer, streamHeaders, textReader, waitFor, type TestServer } from './helpers/http';

const PROTOCOLS: Protocol[] = ['openai-chat', 'openai-responses', 'anthropic', 'ai-sdk', 'text', 'ndjson'];
const SSE = new Set<Protocol>(['openai-chat', 'openai-responses', 'anthropic', 'ai-sdk']);

type Setup = { server: TestServer; registry: InMemoryStreamRegistry; model: FakeModel };
let current: Setup | null = null;

afterEach(async () => {
  await current?.server.close();
  await current?.registry.close();
  current = null;
});

async function setup(protocol: Protocol, resume: boolean | ResumeOptions = true, intervalMs = 2): Promise<Setup> {
  const registry = createStreamRegistry();
  const model = createFakeModel({ protocol, intervalMs });
  const server = await startServer({
    '/stream': (request) => handleModelStream(request, { registry, protocol, resume, upstream: (signal) => model.stream(signal) }),
    '/resume': (request) => handleResume(request, { registry }),
    '/cancel': (request) => handleCancel(request, { registry }),
  });
  current = { server, registry, model };
  return current;
}

function startStream(s: Setup, ids = newStream(), signal?: AbortSignal) {
  return { ids, response: fetch(`${s.server.url}/stream`, { method: 'POST', headers: streamHeaders(ids), body: '{}', signal }) };
}

function resume(s: Setup, ids: { streamId: string; secret: string }, cursor?: string, init: RequestInit = {}) {
  const headers: Record<string, string> = { 'x-stream-cancel-secret': ids.secret };
  if (cursor !== undefined) headers['last-event-id'] = cursor;
  return fetch(`${s.server.url}/resume?streamId=${encodeURIComponent(ids.streamId)}`, { headers, ...init });
}

/** The `id:` values of an SSE text, in order. */
const idsOf = (text: string) => [...text.matchAll(/^id: (.+)$/gm)].map((m) => m[1]!);

/** Events of an SSE text, each with its id (the text up to and including its blank line). */
function eventsOf(text: string): { id: string | null; upTo: number }[] {
  const out: { id: string | null; upTo: number }[] = [];
  let at = 0;
  for (;;) {
    const end = text.indexOf('\n\n', at);
    if (end < 0) return out;
    const block = text.slice(at, end);
    out.push({ id: /^id: (.+)$/m.exec(block)?.[1] ?? null, upTo: end + 2 });
    at = end + 2;
  }
}

describe('resume: the log and the endpoint', () => {
  for (const protocol of PROTOCOLS) {
    it(`${protocol}: the stream, a full replay and a replay from every cursor give the same bytes`, async () => {
      const s = await setup(protocol, true, 0);
      const { ids, response } = startStream(s);
      const res = await response;
      expect(res.status).toBe(200);
      const full = await res.text();
      const replay = await resume(s, ids);
      expect(replay.status).toBe(200);
      expect(replay.headers.get('x-stream-log-ended')).toBe('complete');
      expect(replay.headers.get('content-type')).toBe(res.headers.get('content-type'));
      expect(replay.headers.get('x-vercel-ai-ui-message-stream')).toBe(res.headers.get('x-vercel-ai-ui-message-stream'));
      expect(await replay.text()).toBe(full);

      if (SSE.has(protocol)) {
        const events = eventsOf(full);
        // Every event carries an id, as its last field.
        expect(events.length).toBeGreaterThan(3);
        for (const event of events) expect(event.id).toMatch(/^\d+\.[0-9a-z]+$/);
        expect(idsOf(full)).toHaveLength(events.length);
        for (const event of events) {
          const rest = await resume(s, ids, event.id!);
          expect(rest.status).toBe(200);
          expect(await rest.text()).toBe(full.slice(event.upTo));
        }
        // The decoded snapshot of the stream with ids is the one without: every decoder ignores them.
        const snapshot = await collectStream(new Blob([full]).stream(), { protocol });
        expect(snapshot.text.length).toBeGreaterThan(20);
      } else {
        const bytes = new TextEncoder().encode(full);
        for (const offset of [0, 1, 7, Math.floor(bytes.length / 2), bytes.length - 1, bytes.length]) {
          const rest = await resume(s, ids, String(offset));
          expect(rest.status).toBe(200);
          expect(new Uint8Array(await rest.arrayBuffer())).toEqual(bytes.subarray(offset));
        }
      }
    });
  }

  it('a client that drops mid-answer resumes from its last event: the bytes join exactly', async () => {
    for (const protocol of PROTOCOLS) {
      const s = await setup(protocol, true, 3);
      const abort = new AbortController();
      const { ids, response } = startStream(s, newStream(), abort.signal);
      const reader = textReader((await response).body!);
      // Mid-answer: a few events in (not at an event end, for SSE: the half event is dropped).
      await reader.until((text) => text.length > (protocol === 'text' ? 100 : 300));
      abort.abort();
      const seen = reader.text;
      let cursor: string | undefined;
      let kept = seen;
      if (SSE.has(protocol)) {
        const events = eventsOf(seen);
        cursor = events.at(-1)!.id!;
        kept = seen.slice(0, events.at(-1)!.upTo);
      } else {
        cursor = String(new TextEncoder().encode(seen).length);
      }
      const rest = await resume(s, ids, cursor);
      expect(rest.status).toBe(200);
      const joined = kept + (await rest.text());
      const canonical = await (await resume(s, ids)).text();
      expect(joined).toBe(canonical);
      expect(s.model.runs[0]!.finished).toBe(true); // the model went on while nobody read
      await s.server.close();
      await s.registry.close();
      current = null;
    }
  });

  it('answers 400, 403, 404 and 405 as the contract says', async () => {
    const s = await setup('openai-chat', { maxBytes: 400 }, 0);
    const { ids, response } = startStream(s);
    const full = await (await response).text();
    const other = startStream(s);
    const otherText = await (await other.response).text();
    const lastId = eventsOf(full).at(-1)!.id!;

    expect((await resume(s, newStream())).status).toBe(404);
    expect((await resume(s, { ...ids, secret: newStream().secret })).status).toBe(403);
    expect((await fetch(`${s.server.url}/resume?streamId=${ids.streamId}`)).status).toBe(403);
    expect((await fetch(`${s.server.url}/resume?streamId=a%20b`, { headers: { 'x-stream-cancel-secret': ids.secret } })).status).toBe(400);
    expect((await fetch(`${s.server.url}/resume?streamId=${ids.streamId}`, { method: 'POST', headers: { 'x-stream-cancel-secret': ids.secret } })).status).toBe(405);
    // Malformed, another stream's, not at an event end, past the end.
    expect((await resume(s, ids, 'abc')).status).toBe(400);
    expect((await resume(s, ids, eventsOf(otherText).at(-1)!.id!)).status).toBe(400);
    const [offset, tag] = lastId.split('.');
    expect((await resume(s, ids, `${Number(offset) - 1}.${tag}`)).status).toBe(400);
    expect((await resume(s, ids, `${Number(offset) + 1}.${tag}`)).status).toBe(400);
    // Trimmed past the cursor (the log keeps ~400 bytes): 404, never a silent gap.
    const trimmed = await resume(s, ids);
    expect(trimmed.status).toBe(404);
    expect((await trimmed.json()).error).toMatch(/trimmed/);
    // The end of the log is still there.
    const tail = await resume(s, ids, lastId);
    expect(tail.status).toBe(200);
    expect(await tail.text()).toBe('');
  });

  it('several readers of a live stream all get the same bytes, and a cancel ends every one with its terminal', async () => {
    const s = await setup('anthropic', true, 5);
    const { ids, response } = startStream(s);
    const first = textReader((await response).body!);
    await first.until((text) => text.includes('content_block_delta'));
    const readers = await Promise.all([resume(s, ids), resume(s, ids), resume(s, ids)]);
    for (const reader of readers) expect(reader.status).toBe(200);
    const texts = readers.map((r) => textReader(r.body!));
    await Promise.all(texts.map((t) => t.until((text) => text.split('content_block_delta').length > 6)));
    const cancel = await postCancel(`${s.server.url}/cancel`, ids);
    expect(cancel.body.status).toBe('cancelled');
    const original = await first.rest();
    const all = await Promise.all(texts.map((t) => t.rest()));
    for (const text of all) expect(text).toBe(original);
    expect(original).toMatch(/event: stream-cancelled\ndata: .*\nid: \d+\.\w+\n\n$/);
    expect(s.model.runs[0]!.tokensAfterAbort).toBeLessThanOrEqual(1);
    const ended = await resume(s, ids);
    expect(ended.headers.get('x-stream-log-ended')).toBe('cancelled');
    expect(await ended.text()).toBe(original);
  });

  it('a stream nobody resumes is aborted after detachedMs and ends disconnected; a reader keeps it going', async () => {
    const s = await setup('openai-chat', { detachedMs: 150 }, 10);
    const abort = new AbortController();
    const { ids, response } = startStream(s, newStream(), abort.signal);
    const reader = textReader((await response).body!);
    await reader.until((text) => text.includes('content'));
    abort.abort();
    await waitFor(() => s.model.runs[0]!.abortedAt !== null, 'the upstream aborted', 3000);
    expect(s.model.runs[0]!.finished).toBe(false);
    expect(s.model.runs[0]!.tokensAfterAbort).toBeLessThanOrEqual(1);
    const ended = await resume(s, ids);
    expect(ended.headers.get('x-stream-log-ended')).toBe('disconnected');

    // The same, but a resume reads it: the upstream runs to its end.
    const abort2 = new AbortController();
    const second = startStream(s, newStream(), abort2.signal);
    const reader2 = textReader((await second.response).body!);
    await reader2.until((text) => text.includes('content'));
    abort2.abort();
    await sleep(50);
    const resumed = await resume(s, second.ids);
    const text = await resumed.text();
    expect(text).toContain('[DONE]');
    expect(s.model.runs[1]!.finished).toBe(true);
    expect(s.model.runs[1]!.abortedAt).toBeNull();
  });

  it('a first client that stops reading (its connection alive) never holds up a resume reader', async () => {
    const registry = createStreamRegistry();
    const model = createFakeModel({ protocol: 'openai-chat', intervalMs: 0, script: { text: 'word '.repeat(40_000) } });
    const server = await startServer({
      '/stream': (request) => handleModelStream(request, { registry, resume: { maxBytes: 64 << 20 }, upstream: (signal) => model.stream(signal) }),
      '/resume': (request) => handleResume(request, { registry }),
    });
    current = { server, registry, model };
    const { ids, response } = startStream(current);
    const stalled = await response; // headers only: its body is never read (megabytes, more than the sockets buffer)
    expect(stalled.status).toBe(200);
    const rest = await resume(current, ids);
    const text = await rest.text();
    expect(text.slice(-200)).toMatch(/data: \[DONE\]\nid: [^\n]+\n\n$/);
    expect(text.length).toBeGreaterThan(4_000_000);
    await stalled.body?.cancel();
  }, 30_000);

  it('a client that falls more than 64 KiB behind and then reads nothing for 2 s is cut (its body errors) and the stream goes on into its log', async () => {
    // Before the bound the pump, with a log, enqueued every byte into the body whatever the client
    // read: a client that stopped reading made the server hold the whole answer in memory, and
    // its body never errored (this test failed: the late read got the next chunk).
    const registry = createStreamRegistry();
    const model = createFakeModel({ protocol: 'openai-chat', intervalMs: 0, script: { text: 'word '.repeat(20_000) } });
    current = { server: await startServer({}), registry, model };
    const ids = newStream();
    const request = new Request('http://127.0.0.1/stream', { method: 'POST', headers: streamHeaders(ids), body: '{}' });
    const response = await handleModelStream(request, { registry, resume: { maxBytes: 64 << 20 }, upstream: (signal) => model.stream(signal) });
    const reader = response.body!.getReader();
    expect((await reader.read()).done).toBe(false);
    const started = Date.now();
    await sleep(ClientQueue.STALL_MS + 500);
    await expect(reader.read()).rejects.toThrow(/read nothing for 2000 ms/);
    // The stream went on for its log: a resume from the start gets the whole answer.
    const rest = await handleResume(new Request(`http://127.0.0.1/resume?streamId=${ids.streamId}`, { headers: { 'x-stream-cancel-secret': ids.secret } }), { registry });
    const text = await rest.text();
    expect(text).toMatch(/data: \[DONE\]\nid: [^\n]+\n\n$/);
    expect((await collectStream(new Response(text).body!)).text).toBe('word '.repeat(20_000));
    expect(Date.now() - started).toBeLessThan(15_000);
  }, 30_000);

  it('onFinish runs once, on the instance that ran the stream, with resume on: after a drop and a resume, and after the detached bound', async () => {
    const registry = createStreamRegistry();
    const model = createFakeModel({ protocol: 'anthropic', intervalMs: 3 });
    const finished: { streamId: string; reason: string; text: string }[] = [];
    const server = await startServer({
      '/stream': (request) =>
        handleModelStream(request, {
          registry,
          resume: { detachedMs: 150 },
          upstream: (signal) => model.stream(signal, request.headers.get('x-slow') ? { intervalMs: 50 } : {}),
          onFinish: ({ streamId, reason, message }) => void finished.push({ streamId, reason, text: message.text }),
        }),
      '/resume': (request) => handleResume(request, { registry }),
    });
    current = { server, registry, model };
    // Dropped, then resumed to the end: one onFinish, complete, the whole text.
    const abort = new AbortController();
    const { ids, response } = startStream(current, newStream(), abort.signal);
    await textReader((await response).body!).until((text) => text.includes('content_block_delta'));
    abort.abort();
    const rest = await (await resume(current, ids)).text();
    expect(rest).toContain('message_stop');
    await waitFor(() => finished.length === 1, 'onFinish');
    expect(finished[0]).toMatchObject({ streamId: ids.streamId, reason: 'complete' });
    expect(finished[0]!.text.length).toBeGreaterThan(100);
    // Left, and nobody came back: disconnected, with what was generated.
    const slow = newStream();
    const abort2 = new AbortController();
    const second = await fetch(`${server.url}/stream`, { method: 'POST', headers: { ...streamHeaders(slow), 'x-slow': '1' }, body: '{}', signal: abort2.signal });
    await textReader(second.body!).until((text) => text.includes('content_block_delta'));
    abort2.abort();
    await waitFor(() => finished.length === 2, 'onFinish after the detached bound', 3000);
    expect(finished[1]).toMatchObject({ streamId: slow.streamId, reason: 'disconnected' });
    await sleep(300);
    expect(finished).toHaveLength(2);
  });

  it('without resume: no ids, no log, and a disconnect still aborts at once', async () => {
    const s = await setup('openai-chat', false, 0);
    const { ids, response } = startStream(s);
    const full = await (await response).text();
    expect(idsOf(full)).toEqual([]);
    expect((await resume(s, ids)).status).toBe(404);
  });

  it('a resume racing the natural end gets the whole rest, never a gap', async () => {
    for (let i = 0; i < 20; i++) {
      const s = await setup('ai-sdk', true, 0);
      const { ids, response } = startStream(s);
      const res = await response;
      const [full, replay] = await Promise.all([res.text(), resume(s, ids).then((r) => r.text())]);
      expect(replay).toBe(full);
      await s.server.close();
      await s.registry.close();
      current = null;
    }
  });
});
