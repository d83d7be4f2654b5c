import { beforeAll, describe, expect, it } from 'vitest';
import { toModelMessages } from '../../src/store';
import { playScenario } from '../helpers/historyScenarios';
import { anthropicViolations, chatViolations, responsesViolations } from '../helpers/providerRules';

// The validators of test/helpers/providerRules.ts catch what they claim to: each rule is broken on
// an output that passes (a real run's history), and the validator must name it.

type Loose = any;
const clone = <T>(value: T): Loose => structuredClone(value);

let anthropicLoop: Loose[];
let anthropicDone: Loose[];
let responsesDone: Loose[];
let chatDone: Loose[];
beforeAll(async () => {
  anthropicLoop = toModelMessages(await playScenario('anthropic', 'mid tool loop (next step request)'), { format: 'anthropic' });
  anthropicDone = toModelMessages(await playScenario('anthropic', 'complete two-step run'), { format: 'anthropic' });
  responsesDone = toModelMessages(await playScenario('openai-responses', 'complete two-step run'), { format: 'openai-responses' });
  chatDone = toModelMessages(await playScenario('openai-chat', 'complete two-step run'), { format: 'openai-chat' });
});

describe('anthropicViolations', () => {
  it('passes the real outputs', () => {
    expect(anthropicViolations(anthropicLoop, { thinking: true })).toEqual([]);
    expect(anthropicViolations(anthropicDone, { thinking: true })).toEqual([]);
  });

  const breaks: [string, (m: Loose[]) => Loose[], string, boolean?][] = [
    ['assistant first', (m) => m.slice(1), 'first message is not a user message'],
    ['two user messages in a row', (m) => [m[0], m[0], ...m.slice(1)], 'roles do not alternate'],
    ['empty content', (m) => (m[0].content = [], m), 'empty content'],
    ['blank text block', (m) => (m[1].content[1].text = '  ', m), 'empty text block'],
    ['thinking without signature', (m) => (delete m[1].content[0].signature, m), 'thinking block without its signature'],
    ['thinking with an empty signature', (m) => (m[1].content[0].signature = '', m), 'thinking block without its signature'],
    ['redacted without data', (m) => (m[1].content.unshift({ type: 'redacted_thinking', data: '' }), m), 'redacted_thinking without its data'],
    ['thinking in a user message', (m) => (m[0].content.push(m[1].content[0]), m), 'thinking outside an assistant message'],
    ['tool_use not answered', (m) => (m[2].content = [{ type: 'text', text: 'hi' }], m), 'tool_result blocks do not answer exactly the previous tool_use blocks'],
    ['tool_result after text', (m) => (m[2].content.unshift({ type: 'text', text: 'hi' }), m), 'tool_result blocks do not come first'],
    ['tool_result for an unknown call', (m) => (m[2].content[0].tool_use_id = 'toolu_other', m), 'do not answer exactly'],
    ['tool_use in a user message', (m) => (m[0].content.push(m[1].content[2]), m), 'tool_use outside an assistant message'],
    ['tool_result in an assistant message', (m) => (m[1].content.push(m[2].content[0]), m), 'tool_result outside a user message'],
    ['duplicate tool_use', (m) => (m[1].content.push(m[1].content[2]), m), 'duplicate tool_use id'],
    ['tool_use last, unanswered', (m) => m.slice(0, 2), 'tool_use without a following user message'],
    ['tool loop without thinking first', (m) => (m[1].content.shift(), m), 'tool loop: the assistant message does not start with a thinking block'],
    ['a prefill under extended thinking', (m) => [...m, { role: 'assistant', content: [{ type: 'text', text: 'It is' }] }], 'ends with an assistant message'],
    ['final assistant text ending in whitespace', (m) => m.slice(0, 2).map((x: Loose, i: number) => (i === 1 ? { role: 'assistant', content: [{ type: 'text', text: 'Hi ' }] } : x)), 'final assistant text ends in whitespace'],
  ];
  it.each(breaks)('catches: %s', (_name, mutate, expected) => {
    const violations = anthropicViolations(mutate(clone(anthropicLoop)), { thinking: true });
    expect(violations.some((v) => v.includes(expected)), JSON.stringify(violations)).toBe(true);
  });

  it('the tool-loop rule applies only with thinking on, and only while the loop is under way', () => {
    const noThinking = clone(anthropicLoop);
    noThinking[1].content.shift();
    expect(anthropicViolations(noThinking, { thinking: false })).toEqual([]);
    const finished = clone(anthropicDone);
    finished[3].content.shift();
    expect(anthropicViolations(finished, { thinking: true })).toEqual([]);
    expect(anthropicViolations(anthropicDone.slice(0, 4), { thinking: false })).toEqual([]);
  });
});

describe('responsesViolations', () => {
  it('passes the real output', () => expect(responsesViolations(responsesDone)).toEqual([]));

  const breaks: [string, (items: Loose[]) => Loose[], string][] = [
    ['reasoning without its following item (its call removed with the output)', (items) => items.filter((i: Loose) => i.type !== 'function_call' && i.type !== 'function_call_output'), 'without its required following item'],
    ['reasoning last', (items) => items.slice(0, 2), 'without its required following item'],
    ['reasoning followed by a user message', (items) => [items[0], items[1], items[0]], 'without its required following item'],
    ['reasoning without an id', (items) => (items[1].id = '', items), 'reasoning item without an id'],
    ['summary not summary_text', (items) => (items[1].summary = [{ type: 'text', text: 'x' }], items), 'summary is not summary_text'],
    ['summary missing', (items) => (delete items[1].summary, items), 'summary is not summary_text'],
    ['encrypted_content null', (items) => (items[1].encrypted_content = null, items), 'encrypted_content is not a string'],
    ['call without output', (items) => items.filter((i: Loose) => i.type !== 'function_call_output'), 'has no function_call_output'],
    ['output before its call', (items) => [items[0], items[3], items[1], items[2], ...items.slice(4)], 'before (or without) its call'],
    ['two outputs', (items) => [...items.slice(0, 4), items[3], ...items.slice(4)], 'second output'],
    ['duplicate call', (items) => [...items.slice(0, 3), items[2], ...items.slice(3)], 'duplicate call'],
    ['arguments not an object', (items) => (items[2].arguments = '[1]', items), 'arguments are not a JSON object'],
    ['empty message', (items) => (items[0].content = ' ', items), 'empty message'],
  ];
  it.each(breaks)('catches: %s', (_name, mutate, expected) => {
    const violations = responsesViolations(mutate(clone(responsesDone)));
    expect(violations.some((v) => v.includes(expected)), JSON.stringify(violations)).toBe(true);
  });
});

describe('chatViolations', () => {
  it('passes the real output', () => expect(chatViolations(chatDone)).toEqual([]));

  const breaks: [string, (m: Loose[]) => Loose[], string][] = [
    ['tool message missing', (m) => m.filter((x: Loose) => x.role !== 'tool'), 'not answered by tool messages right after'],
    ['tool message elsewhere', (m) => [m[0], m[2], ...m.slice(3)], 'tool message not right after'],
    ['a reasoning field', (m) => (m[3].reasoning_content = 'thought', m), 'a field the API does not take'],
    ['empty assistant message', (m) => (m[3].content = '', m), 'no content, tool calls or refusal'],
    ['empty tool_calls', (m) => (m[1].tool_calls = [], m), 'empty tool_calls'],
    ['arguments not JSON', (m) => (m[1].tool_calls[0].function.arguments = '{"ci', m), 'malformed tool call'],
    ['empty user message', (m) => (m[0].content = '', m), 'empty user message'],
  ];
  it.each(breaks)('catches: %s', (_name, mutate, expected) => {
    const violations = chatViolations(mutate(clone(chatDone)));
    expect(violations.some((v) => v.includes(expected)), JSON.stringify(violations)).toBe(true);
  });
});
