import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ReasoningPart } from '../../src/core/types';
import { toModelMessages, type Message, type ToolCall, type ToolExecution } from '../../src/store';
import { anthropicViolations, chatViolations, responsesViolations } from '../helpers/providerRules';

// Any history with reasoning parts anywhere (signed or not, redacted, Responses items, at any text
// offset and tool-call count, after every kind of call) gives outputs the providers' rules accept,
// and what is sent of the reasoning is what was stored, in order.

const partArb: fc.Arbitrary<ReasoningPart> = fc
  .record({
    kind: fc.constantFrom('thinking', 'unsigned', 'redacted', 'openai', 'openai-plain'),
    textOffset: fc.nat({ max: 30 }),
    toolCallsBefore: fc.nat({ max: 3 }),
    n: fc.nat({ max: 99 }),
  })
  .map(({ kind, textOffset, toolCallsBefore, n }): ReasoningPart => {
    const at = { textOffset, toolCallsBefore };
    if (kind === 'thinking') return { type: 'thinking', text: `Thought ${n}.`, signature: `sig-${n}`, ...at };
    if (kind === 'unsigned') return { type: 'thinking', text: `Cut ${n}`, ...at };
    if (kind === 'redacted') return { type: 'redacted', data: `data-${n}`, ...at };
    if (kind === 'openai') return { type: 'openai-reasoning', id: `rs_${n}`, summary: [`Summary ${n}.`], encryptedContent: `enc-${n}`, ...at };
    return { type: 'openai-reasoning', id: `rs_${n}`, summary: [], ...at };
  });

const executionArb = fc.option(
  fc.constantFrom<ToolExecution>({ state: 'done', result: 1 }, { state: 'running' }, { state: 'awaiting-approval' }, { state: 'denied' }, { state: 'cancelled', reason: 'stopped' }),
  { nil: undefined },
);

const messageArb = fc.record({
  role: fc.constantFrom<Message['role']>('user', 'assistant', 'assistant'),
  text: fc.constantFrom('', ' ', 'Hello there, this is the answer.', 'Short '),
  refusal: fc.option(fc.constantFrom("I can't help with that.", ''), { nil: undefined }),
  stopped: fc.boolean(),
  calls: fc.array(fc.record({ state: fc.constantFrom<ToolCall['state']>('complete', 'incomplete'), execution: executionArb }), { maxLength: 3 }),
  parts: fc.array(partArb, { maxLength: 4 }),
});

// A conversation starts with the user (Anthropic's rule; toModelMessages does not invent a first message).
const historyArb = fc.array(messageArb, { maxLength: 7 }).map((drafts) =>
  [{ ...drafts[0]!, role: 'user' as const, text: 'Hi' }, ...drafts].slice(drafts.length === 0 ? 1 : 0).map((d, i): Message => {
    const base: Message = { id: `m${i}`, role: d.role, text: d.text, reasoning: '', toolCalls: [], usage: null, status: 'complete', finishReason: null, createdAt: 1, updatedAt: 1 };
    if (d.role === 'user') return base;
    base.toolCalls = d.calls.map((c, j): ToolCall => {
      const call: ToolCall = { id: `call_${i}_${j}`, name: 'f', index: j, argsText: c.state === 'complete' ? '{"a":1}' : '{"a', args: { a: 1 }, state: c.state };
      if (c.execution) call.execution = c.execution;
      return call;
    });
    // Parts in stream order: both positions only grow along a stream.
    const offsets = d.parts.map((p) => p.textOffset).sort((a, b) => a - b);
    const before = d.parts.map((p) => p.toolCallsBefore).sort((a, b) => a - b);
    base.reasoningParts = d.parts.map((p, k) => ({ ...p, textOffset: offsets[k]!, toolCallsBefore: before[k]! }));
    if (d.refusal !== undefined) base.refusal = d.refusal;
    if (d.stopped) Object.assign(base, { status: 'incomplete', incomplete: { reason: 'cancelled' } });
    return base;
  }),
);

const optionsArb = fc.record({ toolCalls: fc.constantFrom<'drop' | 'close'>('drop', 'close'), note: fc.boolean(), reasoning: fc.boolean() });

/** Whether `sent` is `stored` with some entries left out (none changed, none reordered). */
function isSubsequence(sent: string[], stored: string[]): boolean {
  let at = 0;
  for (const item of sent) {
    at = stored.indexOf(item, at);
    if (at < 0) return false;
    at++;
  }
  return true;
}

describe('toModelMessages with reasoning: any history', () => {
  it('every format passes its provider rules; reasoning sent is stored reasoning, in order, and signed', () => {
    fc.assert(
      fc.property(historyArb, optionsArb, (history, { toolCalls, note, reasoning }) => {
        const options = { incomplete: { toolCalls, note }, reasoning };
        const anthropic = toModelMessages(history, { format: 'anthropic', ...options });
        const responses = toModelMessages(history, { format: 'openai-responses', ...options });
        const chat = toModelMessages(history, { format: 'openai-chat', ...options });
        expect(anthropicViolations(anthropic)).toEqual([]);
        expect(responsesViolations(responses)).toEqual([]);
        expect(chatViolations(chat)).toEqual([]);

        const stored = history.flatMap((m) => m.reasoningParts ?? []);
        const storedThinking = stored.flatMap((p) => (p.type === 'thinking' ? [JSON.stringify([p.text, p.signature])] : p.type === 'redacted' ? [p.data] : []));
        const sentThinking = anthropic.flatMap((m) => m.content.flatMap((b) => (b.type === 'thinking' ? [JSON.stringify([b.thinking, b.signature])] : b.type === 'redacted_thinking' ? [b.data] : [])));
        expect(isSubsequence(sentThinking, storedThinking)).toBe(true);
        const storedItems = stored.flatMap((p) => (p.type === 'openai-reasoning' ? [p.id] : []));
        const sentItems = responses.flatMap((item) => (item.type === 'reasoning' ? [item.id] : []));
        expect(isSubsequence(sentItems, storedItems)).toBe(true);
        if (!reasoning) expect(sentThinking.length + sentItems.length).toBe(0);
      }),
      { numRuns: 400 },
    );
  });
});
