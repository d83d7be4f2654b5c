import { describe, expect, it } from 'vitest';
import { collectStream } from '../../src/core/collectStream';
import { PROTOCOLS } from '../../src/core/types';
import { createWireEncoder } from '../../src/server/fakeModel/createWireEncoder';
import { streamOf } from '../helpers/fixtures';

const ARGS_A = '{"origin":"Lyon Part-Dieu","destination":"Genève","note":"window seat, \\"quiet\\" car"}';
const ARGS_B = '{"lat":46.2044,"lon":6.1432}';

function encodeScript(protocol: (typeof PROTOCOLS)[number], reason: 'stop' | 'tool-calls' | 'length') {
  const wire = createWireEncoder(protocol, { id: 'id-1' });
  let body = wire.start() + wire.reasoning('Thinking ') + wire.reasoning('first.') + wire.text('Hello ') + wire.text('wörld ☕');
  if (reason === 'tool-calls') {
    body += wire.toolStart('call_a', 'search') + wire.toolDelta('call_a', ARGS_A.slice(0, 10)) + wire.toolDelta('call_a', ARGS_A.slice(10)) + wire.toolEnd('call_a');
    body += wire.toolStart('call_b', 'weather') + wire.toolDelta('call_b', ARGS_B) + wire.toolEnd('call_b');
  }
  return { wire, body: body + wire.finish(reason, { inputTokens: 12, outputTokens: 34 }) };
}

describe('createWireEncoder round-trips through the decoders', () => {
  for (const protocol of PROTOCOLS) {
    it(`${protocol}: text, reasoning, two tool calls, finish and usage`, async () => {
      const { wire, body } = encodeScript(protocol, protocol === 'text' ? 'stop' : 'tool-calls');
      const snapshot = await collectStream(streamOf([body]), { contentType: wire.contentType });
      if (protocol === 'text') {
        expect(snapshot).toEqual({ id: null, text: 'Hello wörld ☕', toolCalls: [], usage: null, finishReason: null, rawFinishReason: null, error: null });
        return;
      }
      expect(snapshot.id).toBe('id-1');
      expect(snapshot.text).toBe('Hello wörld ☕');
      expect(snapshot.toolCalls).toEqual([
        { id: 'call_a', name: 'search', index: 0, argsText: ARGS_A, args: JSON.parse(ARGS_A) },
        { id: 'call_b', name: 'weather', index: 1, argsText: ARGS_B, args: JSON.parse(ARGS_B) },
      ]);
      expect(snapshot.usage).toEqual({ inputTokens: 12, outputTokens: 34 });
      expect(snapshot.finishReason).toBe('tool-calls');
      expect(snapshot.error).toBeNull();
    });

    it(`${protocol}: length and errors`, async () => {
      if (protocol === 'text') return;
      const { wire, body } = encodeScript(protocol, 'length');
      expect((await collectStream(streamOf([body]), { contentType: wire.contentType })).finishReason).toBe('length');
      const failing = createWireEncoder(protocol);
      const snapshot = await collectStream(streamOf([failing.start() + failing.text('Hi') + failing.error('Overloaded')]), { contentType: failing.contentType });
      expect([snapshot.text, snapshot.error]).toEqual(['Hi', 'Overloaded']);
    });
  }
});
