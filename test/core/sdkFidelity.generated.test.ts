import { describe, it } from 'vitest';
import type { Protocol } from '../../src/core/types';
import { seededRandom } from '../helpers/fixtures';
import { compare } from '../helpers/sdkAccumulators';

// Generated streams, written from the providers' documented formats (docs/FORMATS.md), through our
// collectStream (randomly split) and the official SDKs' accumulators: random text, reasoning
// blocks, refusals, tool calls (some with no input), citations / annotations, usage details and
// stop sequences, in random combinations.

type Random = () => number;

const WORDS = ['The', ' café', ' au lait', ' ☕', ' grows', ' 🌱', ' "quoted"', ' line\n', ' back\\slash', ' over', ' Genève.'];
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const count = (random: Random, max: number) => Math.floor(random() * (max + 1));
const words = (random: Random, max: number) => Array.from({ length: 1 + count(random, max - 1) }, () => pick(random, WORDS));

/** A tool's input: `{}` (called with no input) or a small object. */
function toolInput(random: Random): Record<string, unknown> {
  if (random() < 0.3) return {};
  return { city: words(random, 2).join(''), days: count(random, 9), metric: random() < 0.5, tags: words(random, 2) };
}

/** `text` cut into 1–4 fragments. */
function fragments(random: Random, text: string): string[] {
  const cuts = Array.from({ length: count(random, 3) }, () => Math.floor(random() * text.length)).sort((a, b) => a - b);
  return [0, ...cuts, text.length].slice(1).map((end, i, ends) => text.slice(i === 0 ? 0 : ends[i - 1], end));
}

const json = (value: unknown) => JSON.stringify(value);
const named = (events: Record<string, unknown>[]) => events.map((event) => `event: ${event.type}\ndata: ${json(event)}\n\n`).join('');

function anthropicStream(random: Random): string {
  const events: Record<string, unknown>[] = [];
  const usage = { input_tokens: count(random, 900), cache_creation_input_tokens: count(random, 600), cache_read_input_tokens: count(random, 3000), output_tokens: 1 };
  events.push({ type: 'message_start', message: { id: 'msg_gen', type: 'message', role: 'assistant', model: 'claude-gen', content: [], stop_reason: null, stop_sequence: null, usage } });
  let index = 0;
  let tools = 0;
  const block = (start: Record<string, unknown>, deltas: Record<string, unknown>[]) => {
    events.push({ type: 'content_block_start', index, content_block: start });
    for (const delta of deltas) events.push({ type: 'content_block_delta', index, delta });
    events.push({ type: 'content_block_stop', index: index++ });
  };
  for (let i = count(random, 2); i > 0; i--) {
    if (random() < 0.25) block({ type: 'redacted_thinking', data: `cmVkYWN0ZWQ${i}` }, []);
    const thinking = words(random, 4).map((text) => ({ type: 'thinking_delta', thinking: text }));
    block({ type: 'thinking', thinking: '', signature: '' }, [...thinking, { type: 'signature_delta', signature: `c2lnbmF0dXJl${i}` }]);
  }
  for (let i = 1 + count(random, 2); i > 0; i--) {
    const deltas: Record<string, unknown>[] = words(random, 3).map((text) => ({ type: 'text_delta', text }));
    if (random() < 0.4) deltas.unshift({ type: 'citations_delta', citation: { type: 'char_location', cited_text: words(random, 3).join(''), document_index: 0, document_title: 'Doc', start_char_index: 0, end_char_index: 9, file_id: null } });
    block({ type: 'text', text: '' }, deltas);
    if (random() < 0.5) {
      const input = toolInput(random);
      const partial = Object.keys(input).length ? ['', ...fragments(random, json(input))] : [];
      block({ type: 'tool_use', id: `toolu_gen${tools++}`, name: 'get_weather', input: {} }, partial.map((text) => ({ type: 'input_json_delta', partial_json: text })));
    }
  }
  const stop = tools ? 'tool_use' : random() < 0.5 ? 'stop_sequence' : 'end_turn';
  const delta = { stop_reason: stop, stop_sequence: stop === 'stop_sequence' ? '###' : null };
  events.push({ type: 'message_delta', delta, usage: { output_tokens: count(random, 500), cache_read_input_tokens: usage.cache_read_input_tokens } }, { type: 'message_stop' });
  return named(events);
}

function chatStream(random: Random): string {
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
    id: 'chatcmpl-gen', object: 'chat.completion.chunk', created: 1, model: 'gpt-gen', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], usage: null,
  });
  const chunks: unknown[] = [chunk({ role: 'assistant', content: '', refusal: null })];
  const refused = random() < 0.3;
  for (const text of words(random, 4)) chunks.push(chunk(refused ? { refusal: text } : { content: text }));
  let calls = 0;
  for (let i = refused ? 0 : count(random, 3); i > 0; i--, calls++) {
    const [first = '', ...rest] = fragments(random, Object.keys(toolInput(random)).length ? json(toolInput(random)) : '');
    chunks.push(chunk({ tool_calls: [{ index: calls, id: `call_gen${calls}`, type: 'function', function: { name: 'get_weather', arguments: first } }] }));
    for (const text of rest) chunks.push(chunk({ tool_calls: [{ index: calls, function: { arguments: text } }] }));
  }
  chunks.push(chunk({}, calls ? 'tool_calls' : 'stop'));
  const usage = { prompt_tokens: count(random, 3000), completion_tokens: count(random, 900), total_tokens: 0, prompt_tokens_details: { cached_tokens: count(random, 2000) }, completion_tokens_details: { reasoning_tokens: count(random, 500) } };
  chunks.push({ id: 'chatcmpl-gen', object: 'chat.completion.chunk', created: 1, model: 'gpt-gen', choices: [], usage });
  return [...chunks.map(json), '[DONE]'].map((data) => `data: ${data}\n\n`).join('');
}

function responsesStream(random: Random): string {
  const events: Record<string, unknown>[] = [];
  const push = (type: string, fields: Record<string, unknown>) => events.push({ type, ...fields, sequence_number: events.length });
  const response = (status: string, output: unknown[], usage: unknown = null) => ({ id: 'resp_gen', object: 'response', status, output, usage, error: null, incomplete_details: null });
  const output: Record<string, unknown>[] = [];
  push('response.created', { response: response('in_progress', []) });
  for (let i = count(random, 2); i > 0; i--) {
    const item = { id: `rs_gen${output.length}`, type: 'reasoning', summary: [] as { type: string; text: string }[], ...(random() < 0.5 && { encrypted_content: `ZW5j${i}` }) };
    const at = { item_id: item.id, output_index: output.length };
    push('response.output_item.added', { ...at, item: { ...item, summary: [] } });
    for (let part = 0, parts = count(random, 2); part < parts; part++) {
      const texts = words(random, 3);
      push('response.reasoning_summary_part.added', { ...at, summary_index: part, part: { type: 'summary_text', text: '' } });
      for (const delta of texts) push('response.reasoning_summary_text.delta', { ...at, summary_index: part, delta });
      item.summary.push({ type: 'summary_text', text: texts.join('') });
      push('response.reasoning_summary_part.done', { ...at, summary_index: part, part: item.summary[part] });
    }
    push('response.output_item.done', { ...at, item });
    output.push(item);
  }
  const refused = random() < 0.3;
  const message = { id: 'msg_gen', type: 'message', status: 'completed', role: 'assistant', content: [] as unknown[] };
  const at = { item_id: message.id, output_index: output.length, content_index: 0 };
  push('response.output_item.added', { output_index: output.length, item: { ...message, status: 'in_progress' } });
  const texts = words(random, 4);
  const whole = texts.join('');
  if (refused) {
    push('response.content_part.added', { ...at, part: { type: 'refusal', refusal: '' } });
    for (const delta of texts) push('response.refusal.delta', { ...at, delta });
    push('response.refusal.done', { ...at, refusal: whole });
    message.content.push({ type: 'refusal', refusal: whole });
  } else {
    const annotations = random() < 0.5 ? [{ type: 'url_citation', start_index: 0, end_index: 3, title: 'T', url: 'https://example.com/' }] : [];
    push('response.content_part.added', { ...at, part: { type: 'output_text', annotations: [], logprobs: [], text: '' } });
    for (const delta of texts) push('response.output_text.delta', { ...at, delta, logprobs: [] });
    annotations.forEach((annotation, i) => push('response.output_text.annotation.added', { ...at, annotation_index: i, annotation }));
    push('response.output_text.done', { ...at, text: whole, logprobs: [] });
    message.content.push({ type: 'output_text', annotations, logprobs: [], text: whole });
  }
  push('response.output_item.done', { output_index: output.length, item: message });
  output.push(message);
  for (let i = refused ? 0 : count(random, 2); i > 0; i--) {
    const input = toolInput(random);
    const args = Object.keys(input).length ? json(input) : '';
    const call = { id: `fc_gen${i}`, type: 'function_call', status: 'in_progress', arguments: '', call_id: `call_gen${i}`, name: 'get_weather' };
    push('response.output_item.added', { output_index: output.length, item: call });
    for (const delta of args ? fragments(random, args) : []) push('response.function_call_arguments.delta', { item_id: call.id, output_index: output.length, delta });
    push('response.function_call_arguments.done', { item_id: call.id, output_index: output.length, arguments: args });
    const done = { ...call, status: 'completed', arguments: args };
    push('response.output_item.done', { output_index: output.length, item: done });
    output.push(done);
  }
  const usage = { input_tokens: count(random, 3000), input_tokens_details: { cached_tokens: count(random, 2000) }, output_tokens: count(random, 900), output_tokens_details: { reasoning_tokens: count(random, 500) }, total_tokens: 0 };
  push('response.completed', { response: response('completed', output, usage) });
  return named(events);
}

const GENERATORS: [Protocol, (random: Random) => string][] = [
  ['anthropic', anthropicStream],
  ['openai-chat', chatStream],
  ['openai-responses', responsesStream],
];

describe('fidelity to the official SDKs on generated streams', () => {
  for (const [protocol, generate] of GENERATORS) {
    it(`${protocol}: 60 generated streams, randomly split`, async () => {
      const random = seededRandom(protocol.length * 7919);
      for (let run = 0; run < 60; run++) await compare(protocol, new TextEncoder().encode(generate(random)), random);
    });
  }
});
