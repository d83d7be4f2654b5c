import { describe, expect, it } from 'vitest';
import { collectStream } from '../../src/core/collectStream';
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

  it('reports a scripted error inside the stream', async () => {
    const model = createFakeModel({ protocol: 'openai-responses', tokensPerSecond: 0, script: { text: 'Partial answer', error: 'Overloaded' } });
    const snapshot = await collectStream(model.stream().body!);
    expect([snapshot.text, snapshot.error]).toEqual(['Partial answer', 'Overloaded']);
  });
});
