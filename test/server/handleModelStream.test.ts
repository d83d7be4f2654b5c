import { afterEach, describe, expect, it } from 'vitest';
import { collectStream } from '../../src/core/collectStream';
import { createStreamRegistry } from '../../src/server/createStreamRegistry';
import { handleModelStream } from '../../src/server/handleModelStream';
import { closingOf, createManualUpstream, createPacedUpstream, deltaOf, openingOf } from './helpers/fakeUpstream';
import { newStream, postCancel, streamHeaders, textReader, waitFor } from './helpers/http';
import { setup, type Setup } from './helpers/setup';

let current: Setup | null = null;
afterEach(async () => {
  await current?.teardown();
  current = null;
});

const bytes = (text: string) => new TextEncoder().encode(text);
const streamOf = (text: string) => new Blob([bytes(text)]).stream();

describe('handleModelStream: pass-through', () => {
  it('streams without buffering: the first event reaches the client before the upstream finishes', async () => {
    const fake = createManualUpstream();
    current = await setup({ upstream: fake.upstream });
    const ids = newStream();
    fake.send(openingOf('openai-chat') + deltaOf('openai-chat', 0));
    const res = await fetch(current.streamUrl, { method: 'POST', headers: streamHeaders(ids) });
    expect(res.status).toBe(200);
    const reader = textReader(res.body!);
    await reader.until((text) => text.includes('w00'));
    // The upstream is still open: nothing after the first delta was sent yet.
    expect(current.registry.size()).toBe(1);
    fake.send(deltaOf('openai-chat', 1));
    await reader.until((text) => text.includes('w01'));
    fake.send(closingOf('openai-chat', 2));
    fake.end();
    const all = await reader.rest();
    expect(all).toBe(deltaOf('openai-chat', 0) + deltaOf('openai-chat', 1) + closingOf('openai-chat', 2));
    const snapshot = await collectStream(streamOf(all), { contentType: 'text/event-stream' });
    expect(snapshot).toMatchObject({ text: 'w00 w01 ', finishReason: 'stop', usage: { inputTokens: 12, outputTokens: 2 } });
  });

  it('passes the content type through and adds no-cache and x-accel-buffering, but no CORS headers', async () => {
    const fake = createManualUpstream({ headers: { 'x-vercel-ai-ui-message-stream': 'v1', 'x-provider-secret': 'org-123', 'access-control-allow-origin': '*' } });
    current = await setup({ upstream: fake.upstream });
    fake.end();
    const res = await fetch(current.streamUrl, { method: 'POST', headers: { ...streamHeaders(newStream()), origin: 'https://evil.example' } });
    await res.text();
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    expect(res.headers.get('x-vercel-ai-ui-message-stream')).toBe('v1');
    // Provider headers are not leaked, and nothing CORS unless the app adds it.
    expect(res.headers.get('x-provider-secret')).toBeNull();
    expect([...res.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([]);
  });

  it('holds back a half-written SSE event until its blank line arrives, then forwards it whole', async () => {
    const registry = createStreamRegistry();
    const fake = createManualUpstream();
    const res = await handleModelStream(new Request('http://x/stream', { method: 'POST', headers: streamHeaders(newStream()) }), {
      registry,
      upstream: fake.upstream,
    });
    const reader = res.body!.getReader();
    const event = deltaOf('openai-chat', 0);
    const next = deltaOf('openai-chat', 1);
    fake.send(event + next.slice(0, 20));
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toBe(event);
    fake.send(next.slice(20, 40));
    fake.send(next.slice(40));
    const second = new TextDecoder().decode((await reader.read()).value);
    expect(second).toBe(next);
    fake.end();
    expect((await reader.read()).done).toBe(true);
    await registry.close();
  });

  it('keeps CRLF line ends and forwards at CRLF blank lines', async () => {
    const registry = createStreamRegistry();
    const fake = createManualUpstream();
    const res = await handleModelStream(new Request('http://x/stream', { method: 'POST', headers: streamHeaders(newStream()) }), {
      registry,
      upstream: fake.upstream,
    });
    const reader = res.body!.getReader();
    const event = deltaOf('openai-chat', 0).replace(/\n/g, '\r\n');
    fake.send(event + 'data: {"id"');
    expect(new TextDecoder().decode((await reader.read()).value)).toBe(event);
    fake.end();
    // At the end the upstream's own last bytes pass through as they are (the client discards them).
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('data: {"id"');
    expect((await reader.read()).done).toBe(true);
    await registry.close();
  });

  it('passes plain text through as it comes, never splitting a multi-byte character', async () => {
    const registry = createStreamRegistry();
    const fake = createManualUpstream({ contentType: 'text/plain; charset=utf-8' });
    const res = await handleModelStream(new Request('http://x/stream', { method: 'POST', headers: streamHeaders(newStream()) }), {
      registry,
      upstream: fake.upstream,
    });
    const reader = res.body!.getReader();
    // "café ☕": the ☕ (3 bytes) arrives cut after its first byte.
    const all = bytes('café ☕');
    expect(all.length).toBe(9);
    fake.sendBytes(all.slice(0, 7));
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('café ');
    fake.sendBytes(all.slice(7));
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('☕');
    fake.end();
    expect((await reader.read()).done).toBe(true);
    await registry.close();
  });

  it('reads the upstream only as fast as the client reads (backpressure, nothing buffered in between)', async () => {
    const registry = createStreamRegistry();
    let pulls = 0;
    const upstreamBody = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          controller.enqueue(bytes(deltaOf('openai-chat', pulls++)));
        },
      },
      { highWaterMark: 0 },
    );
    const res = await handleModelStream(new Request('http://x/stream', { method: 'POST', headers: streamHeaders(newStream()) }), {
      registry,
      upstream: () => new Response(upstreamBody, { headers: { 'content-type': 'text/event-stream' } }),
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    // Nobody reads: the upstream, which could produce without end, was asked for nothing.
    expect(pulls).toBe(0);
    const reader = res.body!.getReader();
    for (let i = 0; i < 3; i++) expect(new TextDecoder().decode((await reader.read()).value)).toBe(deltaOf('openai-chat', i));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(pulls).toBeLessThanOrEqual(4);
    await reader.cancel();
    await registry.close();
  });

  it('passes a non-2xx upstream through with its status and body, and unregisters', async () => {
    const ids = newStream();
    current = await setup({
      upstream: () => new Response('{"error":{"message":"Rate limit reached"}}', { status: 429, headers: { 'content-type': 'application/json' } }),
    });
    const res = await fetch(current.streamUrl, { method: 'POST', headers: streamHeaders(ids) });
    expect(res.status).toBe(429);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ error: { message: 'Rate limit reached' } });
    expect(current.registry.size()).toBe(0);
    expect(await postCancel(current.cancelUrl, ids)).toEqual({ status: 200, body: { status: 'already-finished' } });
  });

  it('answers 502 JSON when upstream throws, and unregisters', async () => {
    current = await setup({
      upstream: () => {
        throw new Error('getaddrinfo ENOTFOUND api.example.com');
      },
    });
    const res = await fetch(current.streamUrl, { method: 'POST', headers: streamHeaders(newStream()) });
    expect(res.status).toBe(502);
    const body = await res.json();
    expect(body.error).toMatch(/upstream/i);
    expect(body.error).not.toContain('ENOTFOUND'); // internals are not sent to the browser
    expect(current.registry.size()).toBe(0);
  });

  it('breaks the client stream when the upstream breaks mid-stream, and unregisters', async () => {
    const fake = createManualUpstream();
    current = await setup({ upstream: fake.upstream });
    const res = await fetch(current.streamUrl, { method: 'POST', headers: streamHeaders(newStream()) });
    const reader = textReader(res.body!);
    fake.send(deltaOf('openai-chat', 0));
    await reader.until((text) => text.includes('w00'));
    fake.fail();
    await expect(reader.rest()).rejects.toThrow();
    await waitFor(() => current!.registry.size() === 0, 'the stream to leave the registry');
  });

  it('leaves the registry when a stream finishes: size back to 0 after many streams', async () => {
    current = await setup();
    for (let i = 0; i < 20; i++) {
      const fake = createManualUpstream();
      current.setUpstream(fake.upstream);
      fake.send(deltaOf('openai-chat', i) + closingOf('openai-chat', 1));
      fake.end();
      const res = await fetch(current.streamUrl, { method: 'POST', headers: streamHeaders(newStream()) });
      await res.text();
    }
    await waitFor(() => current!.registry.size() === 0, 'every stream to leave the registry');
    expect(current.registry.counts()).toMatchObject({ streams: 0, finished: 20, tombstones: 0 });
  });
});

describe('handleModelStream: refusals', () => {
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['no x-stream-id', { 'x-stream-cancel-secret': 'a'.repeat(32) }, /Missing x-stream-id/],
    ['an x-stream-id of odd characters', { 'x-stream-id': 'abc/../def', 'x-stream-cancel-secret': 'a'.repeat(32) }, /Invalid x-stream-id/],
    ['an x-stream-id with spaces and quotes', { 'x-stream-id': 'a "b" c', 'x-stream-cancel-secret': 'a'.repeat(32) }, /Invalid x-stream-id/],
    ['a 10 KB x-stream-id', { 'x-stream-id': 'a'.repeat(10_240), 'x-stream-cancel-secret': 'a'.repeat(32) }, /Invalid x-stream-id/],
    ['a 129-character x-stream-id', { 'x-stream-id': 'a'.repeat(129), 'x-stream-cancel-secret': 'a'.repeat(32) }, /Invalid x-stream-id/],
    ['no x-stream-cancel-secret', { 'x-stream-id': 'abc' }, /Missing x-stream-cancel-secret/],
    ['a 15-character secret', { 'x-stream-id': 'abc', 'x-stream-cancel-secret': 'a'.repeat(15) }, /Invalid x-stream-cancel-secret/],
    ['a secret of odd characters', { 'x-stream-id': 'abc', 'x-stream-cancel-secret': `${'a'.repeat(20)}$%&` }, /Invalid x-stream-cancel-secret/],
  ];
  for (const [name, headers, message] of cases) {
    it(`answers 400 with a clear message for ${name}, and never calls upstream`, async () => {
      const fake = createManualUpstream();
      current = await setup({ upstream: fake.upstream });
      const res = await fetch(current.streamUrl, { method: 'POST', headers });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect((await res.json()).error).toMatch(message);
      expect(fake.calls).toBe(0);
      expect(current.registry.counts()).toEqual({ streams: 0, finished: 0, tombstones: 0 });
    });
  }

  it('accepts ids at the limits: 1 character, 128 characters, a UUID', async () => {
    current = await setup();
    for (const streamId of ['a', 'Z'.repeat(128), crypto.randomUUID(), 'a_b-C9']) {
      const fake = createManualUpstream();
      current.setUpstream(fake.upstream);
      fake.end();
      const res = await fetch(current.streamUrl, { method: 'POST', headers: { 'x-stream-id': streamId, 'x-stream-cancel-secret': 'f'.repeat(64) } });
      expect(res.status).toBe(200);
      await res.text();
    }
  });

  it('answers 409 for an id that is streaming, and the first stream goes on', async () => {
    const fake = createManualUpstream();
    current = await setup({ upstream: fake.upstream });
    const ids = newStream();
    const first = await fetch(current.streamUrl, { method: 'POST', headers: streamHeaders(ids) });
    const reader = textReader(first.body!);
    const second = await fetch(current.streamUrl, { method: 'POST', headers: streamHeaders({ ...ids, secret: newStream().secret }) });
    expect(second.status).toBe(409);
    expect((await second.json()).error).toMatch(/already in use/);
    fake.send(deltaOf('openai-chat', 0));
    await reader.until((text) => text.includes('w00'));
    expect(fake.calls).toBe(1);
    fake.end();
    await reader.rest();
  });

  it('answers 409 for the id of a stream that just finished (a replay)', async () => {
    const fake = createManualUpstream();
    current = await setup({ upstream: fake.upstream });
    const ids = newStream();
    fake.end();
    await (await fetch(current.streamUrl, { method: 'POST', headers: streamHeaders(ids) })).text();
    await waitFor(() => current!.registry.size() === 0, 'the first stream to finish');
    const replay = await fetch(current.streamUrl, { method: 'POST', headers: streamHeaders(ids) });
    expect(replay.status).toBe(409);
    expect(fake.calls).toBe(1);
  });
});

describe('handleModelStream: cancel', () => {
  it('aborts the upstream signal so the provider stops generating, and ends the client stream with stream-cancelled', async () => {
    const paced = createPacedUpstream('openai-chat', { intervalMs: 2 });
    current = await setup({ upstream: paced.upstream });
    const ids = newStream();
    const res = await fetch(current.streamUrl, { method: 'POST', headers: streamHeaders(ids) });
    const reader = textReader(res.body!);
    await reader.until((text) => text.includes('w03'));
    const cancel = await postCancel(current.cancelUrl, ids);
    expect(cancel.status).toBe(200);
    expect(cancel.body.status).toBe('cancelled');
    expect(paced.stats.signalAborted).toBe(true);
    const text = await reader.rest();
    expect(text.endsWith(`event: stream-cancelled\ndata: ${JSON.stringify({ usage: cancel.body.usage, usageEstimated: cancel.body.usageEstimated })}\n\n`)).toBe(true);
    // The provider stopped: nothing more is generated after the abort.
    const producedAtAbort = paced.stats.producedAtAbort!;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(paced.stats.produced).toBe(producedAtAbort);
    // The usage covers exactly what the client was sent (4 characters per word → 1 token each).
    const snapshot = await collectStream(streamOf(text), { contentType: 'text/event-stream' });
    expect(snapshot.finishReason).toBe('cancelled');
    expect(snapshot.usage).toEqual({ inputTokens: null, outputTokens: snapshot.text.length / 4, estimated: true });
    expect(cancel.body).toEqual({ status: 'cancelled', usage: { inputTokens: null, outputTokens: snapshot.text.length / 4 }, usageEstimated: true });
    expect(current.registry.size()).toBe(0);
  });

  const sseProtocols = ['openai-chat', 'openai-responses', 'anthropic'] as const;
  for (const protocol of sseProtocols) {
    it(`${protocol}: drops the half-written event and appends stream-cancelled with the usage of the cancel answer`, async () => {
      const fake = createManualUpstream();
      current = await setup({ upstream: fake.upstream });
      const ids = newStream();
      const res = await fetch(current.streamUrl, { method: 'POST', headers: streamHeaders(ids) });
      const reader = textReader(res.body!);
      const half = deltaOf(protocol, 3).slice(0, 30);
      fake.send(openingOf(protocol) + deltaOf(protocol, 0) + deltaOf(protocol, 1) + deltaOf(protocol, 2) + half);
      await reader.until((text) => text.includes('w02'));
      const cancel = await postCancel(current.cancelUrl, ids);
      const text = await reader.rest();
      expect(fake.signal!.aborted).toBe(true);
      expect(fake.bodyCancelled).toBe(true);
      expect(text).toBe(
        openingOf(protocol) +
          deltaOf(protocol, 0) +
          deltaOf(protocol, 1) +
          deltaOf(protocol, 2) +
          `event: stream-cancelled\ndata: ${JSON.stringify({ usage: cancel.body.usage, usageEstimated: true })}\n\n`,
      );
      // 12 characters streamed → 3 tokens; Anthropic told us its input count (its output count is a placeholder).
      const expectedUsage = { inputTokens: protocol === 'anthropic' ? 12 : null, outputTokens: 3 };
      expect(cancel).toEqual({ status: 200, body: { status: 'cancelled', usage: expectedUsage, usageEstimated: true } });
      const snapshot = await collectStream(streamOf(text), { contentType: 'text/event-stream' });
      expect(snapshot).toMatchObject({ text: 'w00 w01 w02 ', finishReason: 'cancelled', rawFinishReason: 'stream-cancelled', usage: { ...expectedUsage, estimated: true } });
    });
  }

  it('ai-sdk: appends an abort part then [DONE]; the cancel answer carries the usage', async () => {
    const fake = createManualUpstream({ headers: { 'x-vercel-ai-ui-message-stream': 'v1' } });
    current = await setup({ upstream: fake.upstream });
    const ids = newStream();
    const res = await fetch(current.streamUrl, { method: 'POST', headers: streamHeaders(ids) });
    const reader = textReader(res.body!);
    fake.send(openingOf('ai-sdk') + deltaOf('ai-sdk', 0) + deltaOf('ai-sdk', 1) + 'data: {"type":"text-del');
    await reader.until((text) => text.includes('w01'));
    const cancel = await postCancel(current.cancelUrl, ids);
    expect(cancel).toEqual({ status: 200, body: { status: 'cancelled', usage: { inputTokens: null, outputTokens: 2 }, usageEstimated: true } });
    const text = await reader.rest();
    expect(text).toBe(openingOf('ai-sdk') + deltaOf('ai-sdk', 0) + deltaOf('ai-sdk', 1) + 'data: {"type":"abort","reason":"cancelled"}\n\ndata: [DONE]\n\n');
    expect(fake.signal!.aborted).toBe(true);
    const snapshot = await collectStream(streamOf(text), { contentType: 'text/event-stream' });
    expect(snapshot).toMatchObject({ text: 'w00 w01 ', finishReason: 'cancelled', rawFinishReason: 'abort' });
  });

  it('ai-sdk with protocol auto and no event yet: the x-vercel-ai-ui-message-stream header picks the abort part', async () => {
    const fake = createManualUpstream({ headers: { 'x-vercel-ai-ui-message-stream': 'v1' } });
    current = await setup({ upstream: fake.upstream });
    const ids = newStream();
    const res = await fetch(current.streamUrl, { method: 'POST', headers: streamHeaders(ids) });
    await fake.called;
    const cancel = await postCancel(current.cancelUrl, ids);
    expect(cancel.body.status).toBe('cancelled');
    expect(await res.text()).toBe('data: {"type":"abort","reason":"cancelled"}\n\ndata: [DONE]\n\n');
  });

  for (const protocol of ['text', 'ndjson'] as const) {
    it(`${protocol}: the stream just ends (no half line), and the cancel answer carries the usage`, async () => {
      const fake = createManualUpstream({ contentType: protocol === 'text' ? 'text/plain; charset=utf-8' : 'application/x-ndjson' });
      current = await setup({ upstream: fake.upstream });
      const ids = newStream();
      const res = await fetch(current.streamUrl, { method: 'POST', headers: streamHeaders(ids) });
      const reader = textReader(res.body!);
      const tail = protocol === 'ndjson' ? '{"id":"chatcmpl-1","obj' : '';
      fake.send(deltaOf(protocol, 0) + deltaOf(protocol, 1) + tail);
      await reader.until((text) => text.includes('w01'));
      const cancel = await postCancel(current.cancelUrl, ids);
      expect(cancel).toEqual({ status: 200, body: { status: 'cancelled', usage: { inputTokens: null, outputTokens: 2 }, usageEstimated: true } });
      expect(await reader.rest()).toBe(deltaOf(protocol, 0) + deltaOf(protocol, 1));
      expect(fake.signal!.aborted).toBe(true);
    });
  }

  it('answers already-finished once the finish (with the provider usage) went to the client, and lets the rest through', async () => {
    const fake = createManualUpstream();
    current = await setup({ upstream: fake.upstream, protocol: 'anthropic' });
    const ids = newStream();
    const res = await fetch(current.streamUrl, { method: 'POST', headers: streamHeaders(ids) });
    const reader = textReader(res.body!);
    // The whole answer, but the connection is still open (message_stop not yet read by the client).
    fake.send(openingOf('anthropic') + deltaOf('anthropic', 0) + closingOf('anthropic', 7).replace(/event: message_stop[\s\S]*$/, ''));
    await reader.until((text) => text.includes('message_delta'));
    const cancel = await postCancel(current.cancelUrl, ids);
    expect(cancel.body).toEqual({ status: 'already-finished' });
    // The upstream was not aborted: its last event still reaches the client, and no cancel event.
    expect(fake.signal!.aborted).toBe(false);
    fake.send('event: message_stop\ndata: {"type":"message_stop"}\n\n');
    fake.end();
    const rest = await reader.rest();
    expect(rest).not.toContain('stream-cancelled');
    const snapshot = await collectStream(streamOf(rest), { contentType: 'text/event-stream' });
    expect(snapshot).toMatchObject({ finishReason: 'stop', usage: { inputTokens: 12, outputTokens: 7 } });
  });

  it('counts tool-call argument text in the estimate', async () => {
    const fake = createManualUpstream();
    current = await setup({ upstream: fake.upstream, protocol: 'openai-chat' });
    const ids = newStream();
    const res = await fetch(current.streamUrl, { method: 'POST', headers: streamHeaders(ids) });
    const reader = textReader(res.body!);
    fake.send(
      'data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get","arguments":""}}]},"finish_reason":null}]}\n\n' +
        'data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\\"city\\": \\"Par"}}]},"finish_reason":null}]}\n\n',
    );
    await reader.until((text) => text.includes('Par'));
    const cancel = await postCancel(current.cancelUrl, ids);
    // name "get" (3) + arguments `{"city": "Par` (13) = 16 characters → 4 tokens
    expect(cancel.body.usage).toEqual({ inputTokens: null, outputTokens: 4 });
    const snapshot = await collectStream(streamOf(await reader.rest()), { contentType: 'text/event-stream' });
    expect(snapshot.finishReason).toBe('cancelled');
    expect(snapshot.toolCalls[0]).toMatchObject({ id: 'call_1', argsText: '{"city": "Par' });
  });

  it('cancels a stream whose upstream has not answered yet: the signal aborts and the client gets only the terminal', async () => {
    let upstreamSignal: AbortSignal | null = null;
    current = await setup({
      protocol: 'openai-chat',
      upstream: (signal) => {
        upstreamSignal = signal;
        // A provider still thinking: answers only when aborted (as fetch rejects on abort).
        return new Promise<Response>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
      },
    });
    const ids = newStream();
    const pending = fetch(current.streamUrl, { method: 'POST', headers: streamHeaders(ids) });
    await waitFor(() => upstreamSignal !== null, 'upstream to be called');
    const cancel = await postCancel(current.cancelUrl, ids);
    expect(cancel.body).toEqual({ status: 'cancelled', usage: { inputTokens: null, outputTokens: 0 }, usageEstimated: true });
    expect(upstreamSignal!.aborted).toBe(true);
    const res = await pending;
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('event: stream-cancelled\ndata: {"usage":{"inputTokens":null,"outputTokens":0},"usageEstimated":true}\n\n');
    expect(current.registry.size()).toBe(0);
  });

  it('answers already-finished to a second cancel, and the stream got one terminal', async () => {
    const fake = createManualUpstream();
    current = await setup({ upstream: fake.upstream });
    const ids = newStream();
    const res = await fetch(current.streamUrl, { method: 'POST', headers: streamHeaders(ids) });
    const reader = textReader(res.body!);
    fake.send(deltaOf('openai-chat', 0));
    await reader.until((text) => text.includes('w00'));
    const [first, second] = await Promise.all([postCancel(current.cancelUrl, ids), postCancel(current.cancelUrl, ids)]);
    expect([first.body.status, second.body.status].sort()).toEqual(['already-finished', 'cancelled']);
    const text = await reader.rest();
    expect(text.match(/stream-cancelled/g)).toHaveLength(1);
  });
});

describe('handleModelStream: tombstones', () => {
  it('a cancel that arrives first leaves a tombstone: the stream with that id and secret never calls upstream', async () => {
    const fake = createManualUpstream();
    current = await setup({ upstream: fake.upstream, protocol: 'openai-chat' });
    const ids = newStream();
    const cancel = await postCancel(current.cancelUrl, ids);
    expect(cancel).toMatchObject({ status: 404, body: { status: 'pending' } });
    expect(current.registry.counts().tombstones).toBe(1);
    const res = await fetch(current.streamUrl, { method: 'POST', headers: streamHeaders(ids) });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('event: stream-cancelled\ndata: {"usage":{"inputTokens":0,"outputTokens":0},"usageEstimated":false}\n\n');
    expect(fake.calls).toBe(0);
    expect(current.registry.counts()).toEqual({ streams: 0, finished: 1, tombstones: 0 });
    // A late cancel for it now answers already-finished.
    expect((await postCancel(current.cancelUrl, ids)).body).toEqual({ status: 'already-finished' });
  });

  it('ai-sdk: a tombstoned stream answers with the abort part and [DONE]', async () => {
    const fake = createManualUpstream();
    current = await setup({ upstream: fake.upstream, protocol: 'ai-sdk' });
    const ids = newStream();
    await postCancel(current.cancelUrl, ids);
    const res = await fetch(current.streamUrl, { method: 'POST', headers: streamHeaders(ids) });
    expect(res.headers.get('x-vercel-ai-ui-message-stream')).toBe('v1');
    expect(await res.text()).toBe('data: {"type":"abort","reason":"cancelled"}\n\ndata: [DONE]\n\n');
    expect(fake.calls).toBe(0);
  });

  it('a tombstone left with another secret does not cancel the stream', async () => {
    const fake = createManualUpstream();
    current = await setup({ upstream: fake.upstream });
    const ids = newStream();
    await postCancel(current.cancelUrl, { ...ids, secret: newStream().secret });
    const res = await fetch(current.streamUrl, { method: 'POST', headers: streamHeaders(ids) });
    fake.send(deltaOf('openai-chat', 0));
    fake.end();
    expect(await res.text()).toBe(deltaOf('openai-chat', 0));
    expect(fake.calls).toBe(1);
  });

  it('a tombstone expires: after its TTL the stream runs normally', async () => {
    const fake = createManualUpstream();
    current = await setup({ upstream: fake.upstream, registry: { tombstoneTtlMs: 40 } });
    const ids = newStream();
    await postCancel(current.cancelUrl, ids);
    await new Promise((resolve) => setTimeout(resolve, 80));
    const res = await fetch(current.streamUrl, { method: 'POST', headers: streamHeaders(ids) });
    fake.send(deltaOf('openai-chat', 0));
    fake.end();
    expect(await res.text()).toBe(deltaOf('openai-chat', 0));
    expect(fake.calls).toBe(1);
  });
});

describe('handleModelStream: disconnect', () => {
  it("onDisconnect 'abort' (default): a client that goes away aborts the upstream, and it is not a cancel", async () => {
    const paced = createPacedUpstream('openai-chat', { intervalMs: 2 });
    current = await setup({ upstream: paced.upstream });
    const ids = newStream();
    const client = new AbortController();
    const res = await fetch(current.streamUrl, { method: 'POST', headers: streamHeaders(ids), signal: client.signal });
    const reader = textReader(res.body!);
    await reader.until((text) => text.includes('w02'));
    client.abort();
    await waitFor(() => paced.stats.signalAborted, 'the upstream signal to abort');
    await waitFor(() => current!.registry.size() === 0, 'the stream to leave the registry');
    // A cancel after the disconnect (a browser whose cancel waited for this connection to close)
    // learns that the model was stopped before it finished, with the usage at that moment; once.
    const late = await postCancel(current.cancelUrl, ids);
    expect(late.status).toBe(200);
    expect(late.body).toMatchObject({ status: 'cancelled', usage: { outputTokens: expect.any(Number) } });
    expect((late.body as { usage: { outputTokens: number } }).usage.outputTokens).toBeGreaterThan(0);
    expect((await postCancel(current.cancelUrl, ids)).body).toEqual({ status: 'already-finished' });
  });

  it("onDisconnect 'continue': the upstream runs to its end with nobody reading, then unregisters", async () => {
    const paced = createPacedUpstream('openai-chat', { intervalMs: 1, events: 40 });
    current = await setup({ upstream: paced.upstream, onDisconnect: 'continue' });
    const client = new AbortController();
    const res = await fetch(current.streamUrl, { method: 'POST', headers: streamHeaders(newStream()), signal: client.signal });
    const reader = textReader(res.body!);
    await reader.until((text) => text.includes('w01'));
    client.abort();
    await paced.stopped;
    expect(paced.stats).toMatchObject({ completed: true, signalAborted: false, produced: 40 });
    await waitFor(() => current!.registry.size() === 0, 'the stream to leave the registry');
  });

  it("onDisconnect 'continue': a cancel after the disconnect still stops the upstream, with the usage", async () => {
    const paced = createPacedUpstream('openai-chat', { intervalMs: 2 });
    current = await setup({ upstream: paced.upstream, onDisconnect: 'continue' });
    const ids = newStream();
    const client = new AbortController();
    const res = await fetch(current.streamUrl, { method: 'POST', headers: streamHeaders(ids), signal: client.signal });
    await textReader(res.body!).until((text) => text.includes('w01'));
    client.abort();
    await waitFor(() => paced.stats.produced >= 10, 'the upstream to keep generating');
    expect(paced.stats.signalAborted).toBe(false);
    const cancel = await postCancel(current.cancelUrl, ids);
    expect(cancel.body.status).toBe('cancelled');
    // Everything the upstream produced was decoded while nobody read it.
    expect(cancel.body.usage.outputTokens).toBeGreaterThanOrEqual(10);
    expect(paced.stats.signalAborted).toBe(true);
    expect(current.registry.size()).toBe(0);
  });

  it("the Response body's cancel() counts as a disconnect", async () => {
    const registry = createStreamRegistry();
    const fake = createManualUpstream();
    const res = await handleModelStream(new Request('http://x/stream', { method: 'POST', headers: streamHeaders(newStream()) }), {
      registry,
      upstream: fake.upstream,
    });
    expect(registry.size()).toBe(1);
    await res.body!.cancel();
    expect(fake.signal!.aborted).toBe(true);
    expect(fake.bodyCancelled).toBe(true);
    await waitFor(() => registry.size() === 0, 'the stream to leave the registry');
    await registry.close();
  });

  it("the request's AbortSignal aborting counts as a disconnect, even before the upstream answered", async () => {
    const registry = createStreamRegistry();
    const client = new AbortController();
    let upstreamSignal: AbortSignal | null = null;
    const pending = handleModelStream(
      new Request('http://x/stream', { method: 'POST', headers: streamHeaders(newStream()), signal: client.signal }),
      {
        registry,
        upstream: (signal) => {
          upstreamSignal = signal;
          return new Promise<Response>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
        },
      },
    );
    await waitFor(() => upstreamSignal !== null, 'upstream to be called');
    client.abort();
    await pending;
    expect(upstreamSignal!.aborted).toBe(true);
    await waitFor(() => registry.size() === 0, 'the stream to leave the registry');
    await registry.close();
  });
});
