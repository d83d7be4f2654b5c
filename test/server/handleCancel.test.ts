import { afterEach, describe, expect, it } from 'vitest';
import { handleCancel } from '../../src/server/handleCancel';
import { createStreamRegistry } from '../../src/server/createStreamRegistry';
import { closingOf, createManualUpstream, deltaOf } from './helpers/fakeUpstream';
import { newStream, postCancel, streamHeaders, textReader, waitFor } from './helpers/http';
import { setup, type Setup } from './helpers/setup';

let current: Setup | null = null;
afterEach(async () => {
  await current?.teardown();
  current = null;
});

/** A live stream on `current`, with a way to prove it is still streaming. */
async function liveStream(s: Setup) {
  const fake = createManualUpstream();
  s.setUpstream(fake.upstream);
  const ids = newStream();
  const res = await fetch(s.streamUrl, { method: 'POST', headers: streamHeaders(ids) });
  const reader = textReader(res.body!);
  let n = 0;
  /** Sends one more event and waits until the client got it: the stream was not touched. */
  const stillStreaming = async () => {
    const i = n++;
    fake.send(deltaOf('openai-chat', i));
    await reader.until((text) => text.includes(`w${String(i).padStart(2, '0')}`));
    expect(fake.signal!.aborted).toBe(false);
  };
  await stillStreaming();
  return { ids, fake, reader, stillStreaming };
}

const noCors = (res: Response) => expect([...res.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([]);

describe('handleCancel: answers', () => {
  it('200 cancelled with the usage', async () => {
    current = await setup();
    const { ids, reader } = await liveStream(current);
    const res = await fetch(current.cancelUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-stream-cancel-secret': ids.secret },
      body: JSON.stringify({ streamId: ids.streamId }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    noCors(res);
    expect(await res.json()).toEqual({ status: 'cancelled', usage: { inputTokens: null, outputTokens: 1 }, usageEstimated: true });
    expect(await reader.rest()).toContain('event: stream-cancelled');
  });

  it('200 already-finished for a stream that ended on its own (a replay after finish)', async () => {
    current = await setup();
    const { ids, fake, reader } = await liveStream(current);
    fake.send(closingOf('openai-chat', 1));
    fake.end();
    await reader.rest();
    await waitFor(() => current!.registry.size() === 0, 'the stream to finish');
    expect(await postCancel(current.cancelUrl, ids)).toEqual({ status: 200, body: { status: 'already-finished' } });
    expect(await postCancel(current.cancelUrl, ids)).toEqual({ status: 200, body: { status: 'already-finished' } });
    expect(reader.text).not.toContain('stream-cancelled');
  });

  it('404 for an unknown id when the registry keeps no tombstones', async () => {
    current = await setup({ registry: { tombstoneTtlMs: 0 } });
    const res = await postCancel(current.cancelUrl, newStream());
    expect(res.status).toBe(404);
    expect(res.body.error).toMatch(/No stream with this id/);
  });

  it('404 for a stream whose finished marker expired', async () => {
    current = await setup({ registry: { tombstoneTtlMs: 0, finishedTtlMs: 30 } });
    const { ids, fake, reader } = await liveStream(current);
    fake.end();
    await reader.rest();
    await waitFor(() => current!.registry.counts().finished === 1, 'the finished marker');
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect((await postCancel(current.cancelUrl, ids)).status).toBe(404);
    expect(current.registry.counts()).toEqual({ streams: 0, finished: 0, tombstones: 0 });
  });

  it('405 with Allow: POST for GET, PUT and DELETE', async () => {
    current = await setup();
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const res = await fetch(current.cancelUrl, { method, headers: { 'x-stream-cancel-secret': 'a'.repeat(32) } });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
      expect((await res.json()).error).toMatch(/only POST/);
    }
  });

  it('500 when the authorize hook throws, and nothing is cancelled', async () => {
    current = await setup({
      authorize: () => {
        throw new Error('session store down');
      },
    });
    const { ids, stillStreaming } = await liveStream(current);
    const res = await postCancel(current.cancelUrl, ids);
    expect(res.status).toBe(500);
    expect(res.body.error).toMatch(/authorize/);
    await stillStreaming();
  });

  it('503 when the registry fails', async () => {
    const registry = createStreamRegistry();
    registry.cancel = async () => {
      throw new Error('boom');
    };
    const res = await handleCancel(
      new Request('http://x/cancel', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-stream-cancel-secret': 'a'.repeat(32) },
        body: '{"streamId":"abc"}',
      }),
      { registry },
    );
    expect(res.status).toBe(503);
    expect((await res.json()).error).toMatch(/registry/);
  });
});

describe('handleCancel: authorize', () => {
  it('is called with the request and the stream id; false answers 403 and changes nothing', async () => {
    const seen: Array<[string | null, string]> = [];
    let allow = false;
    current = await setup({
      authorize: async (request, streamId) => {
        seen.push([request.headers.get('cookie'), streamId]);
        return allow;
      },
    });
    const { ids, stillStreaming, reader } = await liveStream(current);
    const refused = await fetch(current.cancelUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-stream-cancel-secret': ids.secret, cookie: 'session=abc' },
      body: JSON.stringify({ streamId: ids.streamId }),
    });
    expect(refused.status).toBe(403);
    expect((await refused.json()).error).toMatch(/refused by the app/);
    expect(seen).toEqual([['session=abc', ids.streamId]]);
    await stillStreaming();
    allow = true;
    expect((await postCancel(current.cancelUrl, ids)).body.status).toBe('cancelled');
    await reader.rest();
  });
});

describe('handleCancel: security (each gets its clear status and changes nothing)', () => {
  type Attempt = { name: string; status: number; error: RegExp; request: (ids: { streamId: string; secret: string }, other: { streamId: string; secret: string }) => RequestInit & { path?: string } };
  const json = (body: unknown, secret?: string): RequestInit => ({
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(secret !== undefined ? { 'x-stream-cancel-secret': secret } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const attempts: Attempt[] = [
    { name: 'a wrong secret', status: 403, error: /does not match/, request: (ids) => json({ streamId: ids.streamId }, newStream().secret) },
    { name: 'a missing secret', status: 403, error: /Missing x-stream-cancel-secret/, request: (ids) => json({ streamId: ids.streamId }) },
    { name: 'an empty secret', status: 403, error: /does not match/, request: (ids) => json({ streamId: ids.streamId }, '') },
    { name: 'a secret of odd characters', status: 403, error: /does not match/, request: (ids) => json({ streamId: ids.streamId }, `${ids.secret}"; DROP`) },
    { name: "another stream's secret", status: 403, error: /does not match/, request: (ids, other) => json({ streamId: ids.streamId }, other.secret) },
    { name: 'the right secret cut short by one character', status: 403, error: /does not match/, request: (ids) => json({ streamId: ids.streamId }, ids.secret.slice(0, -1)) },
    { name: 'a non-JSON body', status: 400, error: /not valid JSON/, request: (ids) => json(`streamId=${ids.streamId}`, ids.secret) },
    { name: 'a JSON body without streamId', status: 400, error: /string "streamId"/, request: (ids) => json({ id: ids.streamId }, ids.secret) },
    { name: 'a JSON array body', status: 400, error: /string "streamId"/, request: (ids) => json([ids.streamId], ids.secret) },
    { name: 'a numeric streamId', status: 400, error: /string "streamId"/, request: (ids) => json({ streamId: 42 }, ids.secret) },
    { name: 'an empty body', status: 400, error: /not valid JSON/, request: (ids) => json('', ids.secret) },
    {
      name: 'an oversized body (with content-length)',
      status: 413,
      error: /larger than 4096 bytes/,
      request: (ids) => json({ streamId: ids.streamId, padding: 'x'.repeat(5000) }, ids.secret),
    },
    {
      name: 'an oversized chunked body (no content-length: read incrementally and cut off)',
      status: 413,
      error: /larger than 4096 bytes/,
      request: (ids) => {
        let sent = 0;
        const body = new ReadableStream<Uint8Array>({
          pull(controller) {
            // 1 MB in 1 KB chunks; the server must stop reading long before the end.
            if (sent++ >= 1024) controller.close();
            else controller.enqueue(new TextEncoder().encode(sent === 1 ? `{"streamId":"${ids.streamId}","x":"` : 'x'.repeat(1024)));
          },
        });
        return { method: 'POST', headers: { 'content-type': 'application/json', 'x-stream-cancel-secret': ids.secret }, body, duplex: 'half' } as RequestInit;
      },
    },
    { name: 'a GET', status: 405, error: /only POST/, request: (ids) => ({ method: 'GET', headers: { 'x-stream-cancel-secret': ids.secret } }) },
    {
      name: 'content type text/plain',
      status: 400,
      error: /content-type application\/json/,
      request: (ids) => ({ method: 'POST', headers: { 'content-type': 'text/plain', 'x-stream-cancel-secret': ids.secret }, body: JSON.stringify({ streamId: ids.streamId }) }),
    },
    {
      name: 'a form-encoded body',
      status: 400,
      error: /content-type application\/json/,
      request: (ids) => ({ method: 'POST', headers: { 'x-stream-cancel-secret': ids.secret }, body: new URLSearchParams({ streamId: ids.streamId }) }),
    },
    {
      name: 'no content type',
      status: 400,
      error: /content-type application\/json/,
      request: (ids) => ({ method: 'POST', headers: { 'x-stream-cancel-secret': ids.secret }, body: new Blob([JSON.stringify({ streamId: ids.streamId })]) }),
    },
    { name: 'an id of odd characters', status: 400, error: /Invalid "streamId"/, request: (ids) => json({ streamId: `${ids.streamId}/../x` }, ids.secret) },
    { name: 'an id with a NUL and a newline', status: 400, error: /Invalid "streamId"/, request: (ids) => json({ streamId: `${ids.streamId}\u0000\n` }, ids.secret) },
    { name: 'an empty id', status: 400, error: /Invalid "streamId"/, request: (ids) => json({ streamId: '' }, ids.secret) },
    { name: 'a 129-character id', status: 400, error: /Invalid "streamId"/, request: (ids) => json({ streamId: 'a'.repeat(129) }, ids.secret) },
    // 10 KB does not fit the 4 KB body cap: refused before it is parsed.
    { name: 'a 10 KB id', status: 413, error: /larger than 4096 bytes/, request: (ids) => json({ streamId: 'a'.repeat(10_240) }, ids.secret) },
  ];

  for (const attempt of attempts) {
    it(`${attempt.name} → ${attempt.status}`, async () => {
      current = await setup();
      const target = await liveStream(current);
      const other = await liveStream(current);
      const res = await fetch(current.cancelUrl, attempt.request(target.ids, other.ids));
      expect(res.status).toBe(attempt.status);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      noCors(res);
      expect((await res.json()).error).toMatch(attempt.error);
      // Nothing changed: both streams keep streaming, nothing left behind, and the real cancel still works.
      await target.stillStreaming();
      await other.stillStreaming();
      expect(current.registry.counts()).toEqual({ streams: 2, finished: 0, tombstones: 0 });
      const cancel = await postCancel(current.cancelUrl, target.ids);
      expect(cancel.body.status).toBe('cancelled');
      await other.stillStreaming();
      other.fake.end();
      await Promise.all([target.reader.rest(), other.reader.rest()]);
    });
  }

  it('a wrong secret for a finished stream is still 403 (a finished stream does not become public)', async () => {
    current = await setup();
    const { ids, fake, reader } = await liveStream(current);
    fake.end();
    await reader.rest();
    await waitFor(() => current!.registry.size() === 0, 'the stream to finish');
    expect((await postCancel(current.cancelUrl, { ...ids, secret: newStream().secret })).status).toBe(403);
  });

  it('a 10 KB x-stream-id on the stream request is 400 and registers nothing', async () => {
    current = await setup();
    const res = await fetch(current.streamUrl, { method: 'POST', headers: { 'x-stream-id': 'a'.repeat(10_240), 'x-stream-cancel-secret': newStream().secret } });
    expect(res.status).toBe(400);
    noCors(res);
    expect(current.registry.counts()).toEqual({ streams: 0, finished: 0, tombstones: 0 });
  });
});
