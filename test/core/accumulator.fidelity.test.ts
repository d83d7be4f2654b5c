import { describe, expect, it } from 'vitest';
import { createAccumulator } from '../../src/core/accumulator';
import { collectStream } from '../../src/core/collectStream';
import { loadFixtures, streamOf } from '../helpers/fixtures';

describe('accumulator: what the providers send beyond text, tool calls and usage', () => {
  it('keeps a snapshot of exactly the seven keys when the stream carried nothing more', async () => {
    const { bytes, protocol } = loadFixtures().find((f) => f.name === 'd-ai-sdk-ui-stream/1-text-usage')!;
    expect(Object.keys(await collectStream(streamOf([bytes]), { protocol }))).toEqual(['id', 'text', 'toolCalls', 'usage', 'finishReason', 'rawFinishReason', 'error']);
  });

  it('adds refusal, annotations, stop sequence and reasoning parts to the message only once they arrive, as new arrays', () => {
    const acc = createAccumulator();
    acc.apply({ type: 'text-delta', delta: 'Hi' });
    const before = acc.message();
    expect(before).not.toHaveProperty('refusal');
    expect(before).not.toHaveProperty('annotations');
    acc.apply({ type: 'refusal-delta', delta: "I can't" });
    acc.apply({ type: 'refusal-delta', delta: ' help.' });
    acc.apply({ type: 'annotation', annotation: { type: 'url_citation', url: 'https://a.example/' } });
    acc.apply({ type: 'tool-call-start', id: 'call_1', name: 'now' });
    acc.apply({ type: 'reasoning-part', part: { type: 'redacted', data: 'xyz' } });
    acc.apply({ type: 'finish', finishReason: 'stop', rawFinishReason: 'stop_sequence', stopSequence: '###' });
    const first = acc.message();
    expect(first).toMatchObject({ refusal: "I can't help.", stopSequence: '###', annotations: [{ type: 'url_citation', url: 'https://a.example/' }] });
    expect(first.reasoningParts).toEqual([{ type: 'redacted', data: 'xyz', textOffset: 2, toolCallsBefore: 1 }]);
    acc.apply({ type: 'annotation', annotation: 'second' });
    expect(acc.message().annotations).toHaveLength(2);
    expect(first.annotations).toHaveLength(1);
    expect(acc.snapshot()).toMatchObject({ refusal: "I can't help.", stopSequence: '###' });
  });

  it('merges usage details like the counts: a later number replaces, a missing one leaves the known', () => {
    const acc = createAccumulator();
    acc.apply({ type: 'usage', usage: { inputTokens: 10, outputTokens: 1, cachedInputTokens: 8, cacheWriteInputTokens: 0 } });
    acc.apply({ type: 'usage', usage: { inputTokens: null, outputTokens: 40, cacheWriteInputTokens: 512 } });
    expect(acc.snapshot().usage).toEqual({ inputTokens: 10, outputTokens: 40, cachedInputTokens: 8, cacheWriteInputTokens: 512 });
  });

  it('gives {} for a call completed without argument text, null while it streams or when cut off', () => {
    const acc = createAccumulator({ partialArgs: true });
    acc.apply({ type: 'tool-call-start', id: 'a', name: 'now' });
    acc.apply({ type: 'tool-call-start', id: 'b', name: 'now' });
    expect(acc.message().toolCalls.map((call) => call.args)).toEqual([null, null]);
    acc.apply({ type: 'tool-call-end', id: 'a' });
    acc.markUnfinished();
    expect(acc.message().toolCalls.map((call) => call.args)).toEqual([{}, null]);
    expect(acc.snapshot().toolCalls.map((call) => call.args)).toEqual([{}, null]);
  });
});
