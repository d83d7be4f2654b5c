import { describe, expect, it, vi } from 'vitest';
import { collectStream } from '../../src/core/collectStream';
import { decodeStream } from '../../src/core/decodeStream';
import { PROTOCOLS } from '../../src/core/types';
import { createFakeModel, DEFAULT_FAKE_SCRIPT, tokenize } from '../../src/server/fakeModel/createFakeModel';

describe('tokenize', () => {
  it('keeps every character, never splits a surrogate pair, and cuts long words', () => {
    const text = ' Hello  wörld ☕🌱🌱🌱🌱🌱🌱🌱 supercalifragilistic end ';
    const tokens = tokenize(text);
    expect(tokens.join('')).toBe(text);
    for (const token of tokens) expect(token).not.toMatch(/[\uD800-\uDBFF]$/);
    expect(Math.max(...tokens.map((t) => Array.from(t).length))).toBeLessThanOrEqual(6);
  });
});

describe('createFakeModel', () => {
  for (const protocol of PROTOCOLS) {
    it(`${protocol}: streams the default script, decodable by collectStream`, async () => {
      const model = createFakeModel({ protocol, tokensPerSecond: 0 });
      const response = model.stream();
      const snapshot = await collectStream(response.body!, { contentType: response.headers.get('content-type') });
      expect(snapshot.text).toBe(DEFAULT_FAKE_SCRIPT.text);
      const run = model.runs[0]!;
      expect(run.finished).toBe(true);
      if (protocol === 'text') return;
      expect(snapshot.toolCalls).toEqual([
        { id: 'call_fake_roasters', name: 'find_roasters', index: 0, argsText: JSON.stringify(DEFAULT_FAKE_SCRIPT.toolCalls![0]!.args), args: DEFAULT_FAKE_SCRIPT.toolCalls![0]!.args },
      ]);
      expect(snapshot.usage).toEqual({ inputTokens: 42, outputTokens: run.tokens });
      expect(snapshot.finishReason).toBe('tool-calls');
    });
  }

  it('paces tokens and stops generating the moment its signal aborts', async () => {
    const model = createFakeModel({ protocol: 'anthropic', tokensPerSecond: 100 });
    const controller = new AbortController();
    const reader = model.stream(controller.signal).body!.getReader();
    await reader.read();
    await new Promise((resolve) => setTimeout(resolve, 120));
    controller.abort();
    const run = model.runs[0]!;
    const tokensAtAbort = run.tokens;
    expect(tokensAtAbort).toBeGreaterThan(2);
    expect(tokensAtAbort).toBeLessThan(60);
    await expect(async () => {
      for (;;) if ((await reader.read()).done) break;
    }).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(run.tokens).toBe(tokensAtAbort);
    expect(run.tokensAfterAbort).toBe(0);
    expect(run.finished).toBe(false);
    expect(run.abortedAt).not.toBeNull();
  });

  it('unpaced (intervalMs 0): generates as the reader reads, never the whole answer ahead into memory', async () => {
    // Before: every token was enqueued at once in start(), a long answer held whole in the body's
    // queue (and Node's web-stream queue slows down as it grows). This test failed: 20,000 tokens
    // were generated before the first read.
    const model = createFakeModel({ protocol: 'openai-chat', intervalMs: 0, script: { text: 'word '.repeat(20_000) } });
    const reader = model.stream().body!.getReader();
    await reader.read();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(model.runs[0]!.tokens).toBeLessThan(10);
    let bytes = 0;
    for (let read = await reader.read(); !read.done; read = await reader.read()) bytes += read.value.length;
    expect(model.runs[0]!.tokens).toBeGreaterThanOrEqual(20_000);
    expect(model.runs[0]!.finished).toBe(true);
    expect(bytes).toBeGreaterThan(1_000_000);
  });

  it('reports a scripted error inside the stream', async () => {
    const model = createFakeModel({ protocol: 'openai-responses', tokensPerSecond: 0, script: { text: 'Partial answer', error: 'Overloaded' } });
    const snapshot = await collectStream(model.stream().body!);
    expect([snapshot.text, snapshot.error]).toEqual(['Partial answer', 'Overloaded']);
  });

  for (const protocol of PROTOCOLS.filter((p) => p !== 'text')) {
    it(`${protocol}: sends tool arguments in exactly the scripted fragments, and the scripted usage`, async () => {
      const fragments = ['{"city":', '"Gen', 'ève"', ',"days":2}'];
      const model = createFakeModel({
        protocol,
        tokensPerSecond: 0,
        script: { text: 'Let me look.', toolCalls: [{ id: 'call_1', name: 'weather', argsFragments: fragments }], inputTokens: 7, outputTokens: 99 },
      });
      const deltas: string[] = [];
      for await (const event of decodeStream(model.stream().body!, { protocol })) if (event.type === 'tool-call-delta') deltas.push(event.delta);
      expect(deltas).toEqual(fragments);
      const snapshot = await collectStream(model.stream().body!, { protocol });
      expect(snapshot.toolCalls).toEqual([{ id: 'call_1', name: 'weather', index: 0, argsText: fragments.join(''), args: { city: 'Genève', days: 2 } }]);
      expect(snapshot.usage).toEqual({ inputTokens: 7, outputTokens: 99 });
      expect(model.runs[0]!.tokens).toBe(tokenize('Let me look.').length + fragments.length);
    });
  }

  it('intervalMs paces tokens exactly, with fake timers', async () => {
    vi.useFakeTimers();
    try {
      const model = createFakeModel({ protocol: 'text', intervalMs: 30, tokensPerSecond: 1, script: { text: 'a b c d' } });
      const reader = model.stream().body!.getReader();
      const run = model.runs[0]!;
      expect(run.tokens).toBe(1); // the first token goes out at once
      await vi.advanceTimersByTimeAsync(29);
      expect(run.tokens).toBe(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(run.tokens).toBe(2);
      await vi.advanceTimersByTimeAsync(60);
      expect(run.tokens).toBe(4);
      await reader.cancel();
    } finally {
      vi.useRealTimers();
    }
  });

  it('stall: pauses after the scripted token for ms, then keeps its pace (fake timers)', async () => {
    vi.useFakeTimers();
    try {
      const model = createFakeModel({ protocol: 'text', intervalMs: 100, stall: { afterTokens: 2, ms: 1000 }, script: { text: 'a b c d' } });
      const reader = model.stream().body!.getReader();
      const run = model.runs[0]!;
      await vi.advanceTimersByTimeAsync(100);
      expect(run.tokens).toBe(2);
      await vi.advanceTimersByTimeAsync(1099); // t = 1199: token 3 is due at 200 + 1000
      expect(run.tokens).toBe(2);
      await vi.advanceTimersByTimeAsync(1);
      expect(run.tokens).toBe(3);
      await vi.advanceTimersByTimeAsync(100);
      expect([run.tokens, run.finished]).toEqual([4, false]);
      await vi.advanceTimersByTimeAsync(100); // the finish, one pace after the last token
      expect(run.finished).toBe(true);
      await reader.cancel();
    } finally {
      vi.useRealTimers();
    }
  });

  it('stall without ms: nothing more until the signal aborts (afterTokens 0: not even the first byte)', async () => {
    const model = createFakeModel({ protocol: 'openai-chat', tokensPerSecond: 0, stall: { afterTokens: 0 }, script: { text: 'Never sent' } });
    const controller = new AbortController();
    const reader = model.stream(controller.signal).body!.getReader();
    const read = reader.read();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(model.runs[0]!.tokens).toBe(0);
    controller.abort();
    await expect(read).rejects.toThrow();
    expect(model.runs[0]!).toMatchObject({ tokens: 0, tokensAfterAbort: 0, finished: false });
  });
});
