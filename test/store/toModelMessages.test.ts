import fc from 'fast-check';
import * as mainEntry from '../../src/index';
import { describe, expect, it } from 'vitest';
import {
  CANCELLED_TOOL_RESULT,
  DEFAULT_STOPPED_NOTE,
  DENIED_TOOL_RESULT,
  DISCONNECTED_TOOL_RESULT,
  INTERRUPTED_TOOL_RESULT,
  MISSING_TOOL_RESULT,
  STOPPED_TOOL_RESULT,
  toModelMessages,
  type AnthropicMessage,
  type Message,
  type OpenAIChatMessage,
  type OpenAIResponsesInputItem,
  type ToolCall,
  type ToolExecution,
} from '../../src/store';

// toModelMessages: the store's history as provider request messages. Each format is checked
// against a realistic history (exact output), and every output — including for random histories —
// against the rules the providers enforce (validators below).

function message(overrides: Partial<Message> & Pick<Message, 'id' | 'role'>): Message {
  return {
    text: '',
    reasoning: '',
    toolCalls: [],
    usage: null,
    status: 'complete',
    finishReason: overrides.role === 'assistant' ? 'stop' : null,
    createdAt: 1,
    updatedAt: 1,
    ...overrides,
  };
}

function call(overrides: Partial<ToolCall> & Pick<ToolCall, 'id' | 'name'>): ToolCall {
  return { index: 0, argsText: '', args: null, state: 'complete', ...overrides };
}

/** A trip-planning conversation: parallel tool calls with results, an answer, then an answer the user stopped mid tool call. */
function tripHistory(): Message[] {
  return [
    message({ id: 'u1', role: 'user', text: "What's the weather in Lyon and Geneva?" }),
    message({
      id: 'a1',
      role: 'assistant',
      text: "I'll check both cities.",
      reasoning: 'Two independent lookups; call both at once.',
      finishReason: 'tool-calls',
      toolCalls: [
        call({ id: 'call_lyon', name: 'get_weather', index: 0, argsText: '{"city": "Lyon"}', args: { city: 'Lyon' } }),
        call({ id: 'call_gva', name: 'get_weather', index: 1, argsText: '{"city": "Geneva"}', args: { city: 'Geneva' } }),
      ],
      usage: { inputTokens: 80, outputTokens: 30 },
    }),
    message({ id: 'a2', role: 'assistant', text: 'Lyon: 11 °C and cloudy. Geneva: 9 °C with rain.' }),
    message({ id: 'u2', role: 'user', text: 'Plan a day trip to Annecy.' }),
    message({
      id: 'a3',
      role: 'assistant',
      text: 'Here is a plan. Morning: walk the old town, then ',
      status: 'incomplete',
      finishReason: 'cancelled',
      incomplete: { reason: 'cancelled', serverConfirmed: true },
      toolCalls: [
        call({ id: 'call_train', name: 'search_trains', index: 0, argsText: '{"from":"Lyon","to":"Ann', args: { from: 'Lyon', to: 'Ann' }, state: 'incomplete' }),
      ],
      usage: { inputTokens: 140, outputTokens: 22, estimated: true },
    }),
    message({ id: 'u3', role: 'user', text: 'Shorter, please.' }),
  ];
}

const tripResults = { call_lyon: { temperature: 11, sky: 'cloudy' }, call_gva: 'Geneva: 9 °C, rain' };

// ---- what each provider accepts ---------------------------------------------------------------

const isObject = (value: unknown) => typeof value === 'object' && value !== null && !Array.isArray(value);
const jsonObject = (text: string) => {
  const value: unknown = JSON.parse(text);
  expect(isObject(value), `arguments ${text} must be a JSON object`).toBe(true);
};
const nonBlank = (text: unknown, where: string) => {
  expect(typeof text === 'string' && text.trim() !== '', `${where}: non-empty text`).toBe(true);
};

/** OpenAI Chat: every assistant `tool_calls` entry is answered by a `tool` message right after it, and tool messages appear nowhere else. */
function expectValidOpenAIChat(messages: OpenAIChatMessage[]) {
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    if (m.role === 'user') nonBlank(m.content, `user #${i}`);
    if (m.role === 'tool') throw new Error(`tool message #${i} does not follow an assistant message with tool_calls`);
    if (m.role !== 'assistant') continue;
    if (!m.tool_calls) {
      nonBlank(m.content, `assistant #${i}`);
      continue;
    }
    expect(m.tool_calls.length).toBeGreaterThan(0);
    if (m.content !== null) nonBlank(m.content, `assistant #${i}`);
    const ids = m.tool_calls.map((c) => c.id);
    for (const c of m.tool_calls) {
      expect(c.type).toBe('function');
      nonBlank(c.function.name, 'function name');
      jsonObject(c.function.arguments);
    }
    const answers = messages.slice(i + 1, i + 1 + ids.length);
    expect(answers.map((a) => (a.role === 'tool' ? a.tool_call_id : `not a tool message (${a.role})`))).toEqual(ids);
    for (const a of answers) expect(typeof (a as { content: unknown }).content).toBe('string');
    i += ids.length;
  }
}

/** OpenAI Responses: every `function_call` is matched by a later `function_call_output` with its `call_id`, and the other way round. */
function expectValidOpenAIResponses(items: OpenAIResponsesInputItem[]) {
  const called = new Map<string, number>();
  items.forEach((item, i) => {
    if (item.type === 'message') nonBlank(item.content, `message #${i}`);
    if (item.type === 'function_call') {
      expect(called.has(item.call_id), `duplicate call ${item.call_id}`).toBe(false);
      called.set(item.call_id, i);
      nonBlank(item.name, 'function name');
      jsonObject(item.arguments);
    }
    if (item.type === 'function_call_output') {
      expect(called.has(item.call_id), `output for ${item.call_id} follows its call`).toBe(true);
      expect(typeof item.output).toBe('string');
    }
  });
  const answered = new Set(items.filter((item) => item.type === 'function_call_output').map((item) => item.call_id));
  for (const id of called.keys()) expect(answered.has(id), `call ${id} has an output`).toBe(true);
}

/**
 * Anthropic: no two consecutive messages of one role; no empty text block; an assistant message's
 * `tool_use` blocks are answered by `tool_result` blocks at the start of the very next (user)
 * message, and `tool_result` blocks appear nowhere else; assistant text does not end in whitespace.
 */
function expectValidAnthropic(messages: AnthropicMessage[]) {
  messages.forEach((m, i) => {
    expect(m.content.length, `message #${i} has content`).toBeGreaterThan(0);
    if (i > 0) expect(m.role, `message #${i} alternates`).not.toBe(messages[i - 1]!.role);
    for (const block of m.content) {
      if (block.type === 'text') {
        nonBlank(block.text, `text block in #${i}`);
        if (m.role === 'assistant') expect(block.text).toBe(block.text.trimEnd());
      }
      if (block.type === 'tool_use') {
        expect(m.role).toBe('assistant');
        nonBlank(block.name, 'tool name');
        expect(isObject(block.input)).toBe(true);
      }
    }
    const uses = m.content.flatMap((block) => (block.type === 'tool_use' ? [block.id] : []));
    const previousUses = i > 0 ? messages[i - 1]!.content.flatMap((block) => (block.type === 'tool_use' ? [block.id] : [])) : [];
    const resultIds = m.content.flatMap((block) => (block.type === 'tool_result' ? [block.tool_use_id] : []));
    if (m.role === 'user') {
      expect(resultIds, `tool results of #${i} answer exactly the previous tool uses`).toEqual(previousUses);
      // tool_result blocks come first.
      expect(m.content.slice(0, resultIds.length).every((block) => block.type === 'tool_result')).toBe(true);
    } else {
      expect(resultIds).toEqual([]);
      if (uses.length > 0) expect(messages[i + 1]?.role, `tool uses of #${i} are answered`).toBe('user');
    }
  });
}

// ---- per format, a realistic history ------------------------------------------------------------

describe("toModelMessages: 'openai-chat'", () => {
  it('default: tool calls with results are paired with tool messages, the cut call is dropped, reasoning is not sent', () => {
    const messages = toModelMessages(tripHistory(), { format: 'openai-chat', toolResults: tripResults });
    expect(messages).toEqual([
      { role: 'user', content: "What's the weather in Lyon and Geneva?" },
      {
        role: 'assistant',
        content: "I'll check both cities.",
        tool_calls: [
          { id: 'call_lyon', type: 'function', function: { name: 'get_weather', arguments: '{"city": "Lyon"}' } },
          { id: 'call_gva', type: 'function', function: { name: 'get_weather', arguments: '{"city": "Geneva"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_lyon', content: '{"temperature":11,"sky":"cloudy"}' },
      { role: 'tool', tool_call_id: 'call_gva', content: 'Geneva: 9 °C, rain' },
      { role: 'assistant', content: 'Lyon: 11 °C and cloudy. Geneva: 9 °C with rain.' },
      { role: 'user', content: 'Plan a day trip to Annecy.' },
      { role: 'assistant', content: 'Here is a plan. Morning: walk the old town, then ' },
      { role: 'user', content: 'Shorter, please.' },
    ]);
    expectValidOpenAIChat(messages);
  });

  it("'close' + note: the cut call is sent with its partial args and a stopped result, and the answer carries the note", () => {
    const messages = toModelMessages(tripHistory(), { format: 'openai-chat', toolResults: tripResults, incomplete: { toolCalls: 'close', note: true } });
    expect(messages.slice(6)).toEqual([
      {
        role: 'assistant',
        content: `Here is a plan. Morning: walk the old town, then\n\n${DEFAULT_STOPPED_NOTE}`,
        tool_calls: [{ id: 'call_train', type: 'function', function: { name: 'search_trains', arguments: '{"from":"Lyon","to":"Ann"}' } }],
      },
      { role: 'tool', tool_call_id: 'call_train', content: STOPPED_TOOL_RESULT },
      { role: 'user', content: 'Shorter, please.' },
    ]);
    expectValidOpenAIChat(messages);
  });

  it('without tool results, complete calls are dropped with their pairing (and closed with a placeholder under close)', () => {
    const dropped = toModelMessages(tripHistory(), { format: 'openai-chat' });
    expect(dropped[1]).toEqual({ role: 'assistant', content: "I'll check both cities." });
    expect(dropped.some((m) => m.role === 'tool')).toBe(false);
    expectValidOpenAIChat(dropped);

    const closed = toModelMessages(tripHistory(), { format: 'openai-chat', incomplete: { toolCalls: 'close' } });
    expect(closed.slice(2, 4)).toEqual([
      { role: 'tool', tool_call_id: 'call_lyon', content: MISSING_TOOL_RESULT },
      { role: 'tool', tool_call_id: 'call_gva', content: MISSING_TOOL_RESULT },
    ]);
    expectValidOpenAIChat(closed);
  });

  it('an assistant message that is only tool calls gets content null', () => {
    const history = [
      message({ id: 'u', role: 'user', text: 'Time in Paris?' }),
      message({ id: 'a', role: 'assistant', text: '', finishReason: 'tool-calls', toolCalls: [call({ id: 'c1', name: 'get_time', argsText: '{"tz":"Europe/Paris"}', args: { tz: 'Europe/Paris' } })] }),
    ];
    const messages = toModelMessages(history, { format: 'openai-chat', toolResults: { c1: '14:05' } });
    expect(messages.slice(1)).toEqual([
      { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'get_time', arguments: '{"tz":"Europe/Paris"}' } }] },
      { role: 'tool', tool_call_id: 'c1', content: '14:05' },
    ]);
    expectValidOpenAIChat(messages);
  });
});

describe("toModelMessages: 'openai-responses'", () => {
  it('default: message items, function_call items each matched by a function_call_output; the cut call is dropped', () => {
    const items = toModelMessages(tripHistory(), { format: 'openai-responses', toolResults: tripResults });
    expect(items).toEqual([
      { type: 'message', role: 'user', content: "What's the weather in Lyon and Geneva?" },
      { type: 'message', role: 'assistant', content: "I'll check both cities." },
      { type: 'function_call', call_id: 'call_lyon', name: 'get_weather', arguments: '{"city": "Lyon"}' },
      { type: 'function_call', call_id: 'call_gva', name: 'get_weather', arguments: '{"city": "Geneva"}' },
      { type: 'function_call_output', call_id: 'call_lyon', output: '{"temperature":11,"sky":"cloudy"}' },
      { type: 'function_call_output', call_id: 'call_gva', output: 'Geneva: 9 °C, rain' },
      { type: 'message', role: 'assistant', content: 'Lyon: 11 °C and cloudy. Geneva: 9 °C with rain.' },
      { type: 'message', role: 'user', content: 'Plan a day trip to Annecy.' },
      { type: 'message', role: 'assistant', content: 'Here is a plan. Morning: walk the old town, then ' },
      { type: 'message', role: 'user', content: 'Shorter, please.' },
    ]);
    expectValidOpenAIResponses(items);
  });

  it("'close' + a note of your own", () => {
    const items = toModelMessages(tripHistory(), {
      format: 'openai-responses',
      toolResults: tripResults,
      incomplete: { toolCalls: 'close', note: '(stopped by the user)' },
    });
    expect(items.slice(8)).toEqual([
      { type: 'message', role: 'assistant', content: 'Here is a plan. Morning: walk the old town, then\n\n(stopped by the user)' },
      { type: 'function_call', call_id: 'call_train', name: 'search_trains', arguments: '{"from":"Lyon","to":"Ann"}' },
      { type: 'function_call_output', call_id: 'call_train', output: STOPPED_TOOL_RESULT },
      { type: 'message', role: 'user', content: 'Shorter, please.' },
    ]);
    expectValidOpenAIResponses(items);
  });

  it('an AI SDK call (final input, no argument text) is sent with its input as JSON', () => {
    const history = [
      message({ id: 'u', role: 'user', text: 'Search' }),
      message({ id: 'a', role: 'assistant', toolCalls: [call({ id: 'c', name: 'search', argsText: '', args: { q: 'café' } })] }),
    ];
    const items = toModelMessages(history, { format: 'openai-responses', toolResults: { c: ['r1'] } });
    expect(items.slice(1)).toEqual([
      { type: 'function_call', call_id: 'c', name: 'search', arguments: '{"q":"café"}' },
      { type: 'function_call_output', call_id: 'c', output: '["r1"]' },
    ]);
    expectValidOpenAIResponses(items);
  });
});

describe("toModelMessages: 'anthropic'", () => {
  it('default: content blocks, tool_use answered by tool_result at the start of the next user message, same-role turns merged', () => {
    const messages = toModelMessages(tripHistory(), { format: 'anthropic', toolResults: tripResults });
    expect(messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: "What's the weather in Lyon and Geneva?" }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: "I'll check both cities." },
          { type: 'tool_use', id: 'call_lyon', name: 'get_weather', input: { city: 'Lyon' } },
          { type: 'tool_use', id: 'call_gva', name: 'get_weather', input: { city: 'Geneva' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'call_lyon', content: '{"temperature":11,"sky":"cloudy"}' },
          { type: 'tool_result', tool_use_id: 'call_gva', content: 'Geneva: 9 °C, rain' },
        ],
      },
      { role: 'assistant', content: [{ type: 'text', text: 'Lyon: 11 °C and cloudy. Geneva: 9 °C with rain.' }] },
      { role: 'user', content: [{ type: 'text', text: 'Plan a day trip to Annecy.' }] },
      // Trailing whitespace trimmed: Anthropic rejects it at the end of a (prefill) assistant turn.
      { role: 'assistant', content: [{ type: 'text', text: 'Here is a plan. Morning: walk the old town, then' }] },
      { role: 'user', content: [{ type: 'text', text: 'Shorter, please.' }] },
    ]);
    expectValidAnthropic(messages);
  });

  it("'close' + note: the cut call is closed with an error result, merged ahead of the next user text", () => {
    const messages = toModelMessages(tripHistory(), { format: 'anthropic', toolResults: tripResults, incomplete: { toolCalls: 'close', note: true } });
    expect(messages.slice(5)).toEqual([
      {
        role: 'assistant',
        content: [
          { type: 'text', text: `Here is a plan. Morning: walk the old town, then\n\n${DEFAULT_STOPPED_NOTE}` },
          { type: 'tool_use', id: 'call_train', name: 'search_trains', input: { from: 'Lyon', to: 'Ann' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'call_train', content: STOPPED_TOOL_RESULT, is_error: true },
          { type: 'text', text: 'Shorter, please.' },
        ],
      },
    ]);
    expectValidAnthropic(messages);
  });

  it('skips empty turns (no empty text blocks) and merges the user turns around a skipped answer', () => {
    const history = [
      message({ id: 'u1', role: 'user', text: 'Write a haiku about rain.' }),
      // Stopped before any text: nothing to send without a note.
      message({ id: 'a1', role: 'assistant', text: '', status: 'incomplete', finishReason: null, incomplete: { reason: 'cancelled', serverConfirmed: true } }),
      message({ id: 'u2', role: 'user', text: 'Actually, about snow.' }),
      message({ id: 'a2', role: 'assistant', text: '   ' }),
      message({ id: 'u3', role: 'user', text: '   ' }),
      message({ id: 'a3', role: 'assistant', text: 'Soft snow on the roofs' }),
    ];
    const messages = toModelMessages(history, { format: 'anthropic' });
    expect(messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Write a haiku about rain.' },
          { type: 'text', text: 'Actually, about snow.' },
        ],
      },
      { role: 'assistant', content: [{ type: 'text', text: 'Soft snow on the roofs' }] },
    ]);
    expectValidAnthropic(messages);

    // With the note, the stopped answer is kept as the note alone: the model learns it was stopped.
    const noted = toModelMessages(history, { format: 'anthropic', incomplete: { note: true } });
    expect(noted.slice(0, 3)).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Write a haiku about rain.' }] },
      { role: 'assistant', content: [{ type: 'text', text: DEFAULT_STOPPED_NOTE }] },
      { role: 'user', content: [{ type: 'text', text: 'Actually, about snow.' }] },
    ]);
    expectValidAnthropic(noted);
  });

  it('a cut call whose partial args are not an object is closed with input {}', () => {
    const history = [
      message({ id: 'u', role: 'user', text: 'Look it up' }),
      message({
        id: 'a',
        role: 'assistant',
        status: 'incomplete',
        finishReason: null,
        incomplete: { reason: 'disconnected' },
        toolCalls: [call({ id: 'toolu_1', name: 'lookup', argsText: '{"q', args: null, state: 'incomplete' })],
      }),
    ];
    const messages = toModelMessages(history, { format: 'anthropic', incomplete: { toolCalls: 'close', note: true } });
    expect(messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Look it up' }] },
      // Disconnected, not stopped by the user: no note, and the result says it was cut off.
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'lookup', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: INTERRUPTED_TOOL_RESULT, is_error: true }] },
    ]);
    expectValidAnthropic(messages);
  });
});

describe('toModelMessages: options and edge cases', () => {
  it('the note goes only on answers the user stopped (not disconnected, errored or cut by length)', () => {
    const history = (['cancelled', 'disconnected', 'error', 'length'] as const).flatMap((reason, i) => [
      message({ id: `u${i}`, role: 'user', text: `Question ${i}` }),
      message({ id: `a${i}`, role: 'assistant', text: `Answer ${i}`, status: 'incomplete', finishReason: null, incomplete: { reason } }),
    ]);
    const messages = toModelMessages(history, { format: 'openai-chat', incomplete: { note: true } });
    expect(messages.filter((m) => m.role === 'assistant').map((m) => m.content)).toEqual([
      `Answer 0\n\n${DEFAULT_STOPPED_NOTE}`,
      'Answer 1',
      'Answer 2',
      'Answer 3',
    ]);
  });

  it('an answer still `stopping` (a new turn right after the click) is a stopped answer: note, stopped tool result', () => {
    const history = [
      message({ id: 'u', role: 'user', text: 'Weather?' }),
      message({
        id: 'a',
        role: 'assistant',
        text: 'Checking',
        status: 'stopping',
        toolCalls: [call({ id: 'c1', name: 'weather', argsText: '{"city":"Ly', args: { city: 'Ly' }, state: 'streaming' })],
      }),
      message({ id: 'b', role: 'assistant', text: 'Still going', status: 'streaming' }),
    ];
    const messages = toModelMessages(history, { format: 'openai-chat', incomplete: { note: true, toolCalls: 'close' } });
    expect(messages).toEqual([
      { role: 'user', content: 'Weather?' },
      {
        role: 'assistant',
        content: `Checking\n\n${DEFAULT_STOPPED_NOTE}`,
        tool_calls: [{ id: 'c1', type: 'function', function: { name: 'weather', arguments: '{"city":"Ly"}' } }],
      },
      { role: 'tool', tool_call_id: 'c1', content: STOPPED_TOOL_RESULT },
      // A live answer the user did not stop gets no note.
      { role: 'assistant', content: 'Still going' },
    ]);
  });

  it("format defaults to 'openai-chat', options are optional, and `incomplete` may be just the tool-call rule", () => {
    const history = tripHistory();
    expect(toModelMessages(history)).toEqual(toModelMessages(history, { format: 'openai-chat' }));
    expect(toModelMessages(history, { incomplete: { note: true } })).toEqual(
      toModelMessages(history, { format: 'openai-chat', incomplete: { note: true } }),
    );
    expect(toModelMessages(history, { incomplete: 'close' })).toEqual(
      toModelMessages(history, { format: 'openai-chat', incomplete: { toolCalls: 'close' } }),
    );
    expect(toModelMessages(history, { format: 'anthropic', incomplete: 'drop' })).toEqual(toModelMessages(history, { format: 'anthropic' }));
    // Also exported by the main entry (pure, no zustand), as the same function.
    expect(mainEntry.toModelMessages).toBe(toModelMessages);
    // 'close' really differs from the default on this history (it has a cut call).
    expect(toModelMessages(history, { incomplete: 'close' })).not.toEqual(toModelMessages(history));
  });

  it('note: false and an empty note add nothing', () => {
    const history = [message({ id: 'a', role: 'assistant', text: 'Half', status: 'incomplete', incomplete: { reason: 'cancelled' } })];
    expect(toModelMessages(history, { format: 'openai-chat', incomplete: { note: false } })).toEqual([{ role: 'assistant', content: 'Half' }]);
    expect(toModelMessages(history, { format: 'openai-chat', incomplete: { note: '' } })).toEqual([{ role: 'assistant', content: 'Half' }]);
  });

  it('a call with a result is sent even when cut (the app ran it), with its partial args', () => {
    const history = [
      message({
        id: 'a',
        role: 'assistant',
        status: 'incomplete',
        incomplete: { reason: 'cancelled' },
        toolCalls: [call({ id: 'c', name: 'search', argsText: '{"q":"caf', args: { q: 'caf' }, state: 'incomplete' })],
      }),
    ];
    expect(toModelMessages(history, { format: 'openai-chat', toolResults: { c: 'ran anyway' } })).toEqual([
      { role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'search', arguments: '{"q":"caf"}' } }] },
      { role: 'tool', tool_call_id: 'c', content: 'ran anyway' },
    ]);
  });

  it('a call still streaming (a live message) counts as unfinished; a call without a name is never sent', () => {
    const history = [
      message({
        id: 'a',
        role: 'assistant',
        text: 'Working',
        status: 'streaming',
        finishReason: null,
        toolCalls: [
          call({ id: 'c1', name: 'search', argsText: '{"q":"x"', args: { q: 'x' }, state: 'streaming' }),
          call({ id: 'c2', name: '', argsText: '{}', args: {}, state: 'complete' }),
        ],
      }),
    ];
    expect(toModelMessages(history, { format: 'openai-responses', toolResults: { c2: 'x' }, incomplete: { toolCalls: 'close' } })).toEqual([
      { type: 'message', role: 'assistant', content: 'Working' },
      { type: 'function_call', call_id: 'c1', name: 'search', arguments: '{"q":"x"}' },
      { type: 'function_call_output', call_id: 'c1', output: INTERRUPTED_TOOL_RESULT },
    ]);
  });

  it('an undefined result counts as no result; an inherited key is not a result', () => {
    const history = [message({ id: 'a', role: 'assistant', text: 'Hi', toolCalls: [call({ id: 'toString', name: 'f', argsText: '{}', args: {} })] })];
    expect(toModelMessages(history, { format: 'openai-chat', toolResults: {} })).toEqual([{ role: 'assistant', content: 'Hi' }]);
    expect(toModelMessages(history, { format: 'openai-chat', toolResults: { toString: undefined } })).toEqual([{ role: 'assistant', content: 'Hi' }]);
  });

  it('does not change its input', () => {
    const history = tripHistory();
    const before = structuredClone(history);
    const frozen = history.map((m) => Object.freeze({ ...m, toolCalls: Object.freeze(m.toolCalls.map((c) => Object.freeze({ ...c }))) as ToolCall[] }));
    for (const format of ['openai-chat', 'openai-responses', 'anthropic'] as const) {
      toModelMessages(frozen, { format, toolResults: tripResults, incomplete: { toolCalls: 'close', note: true } });
    }
    expect(frozen).toEqual(before);
  });

  it('an unknown format throws a TypeError that names the accepted ones', () => {
    expect(() => toModelMessages([], { format: 'gemini' as 'anthropic' })).toThrow(TypeError);
    expect(() => toModelMessages([], { format: 'gemini' as 'anthropic' })).toThrow(/'openai-chat', 'openai-responses' or 'anthropic'/);
  });
});

// ---- any history: the output is always one the provider accepts -------------------------------

const textArb = fc.constantFrom('', '  ', 'Hello', 'Trailing space ', 'Multi\nline', 'café ☕');
const argsArb = fc.constantFrom<[string, unknown]>(
  ['{"q":"x"}', { q: 'x' }],
  ['{"q": "spaced"}', { q: 'spaced' }],
  ['{"q":"cu', { q: 'cu' }],
  ['{"', null],
  ['', { fromSdk: true }],
  ['', null],
  ['[1,2]', [1, 2]],
);
const toolCallArb = fc.record({
  name: fc.constantFrom('search', 'get_weather', ''),
  args: argsArb,
  state: fc.constantFrom<ToolCall['state']>('streaming', 'complete', 'incomplete'),
  result: fc.option(fc.constantFrom<unknown>('ok', { n: 1 }, [1], 0, undefined), { nil: null }),
  execution: fc.option(
    fc.constantFrom<ToolExecution>(
      { state: 'awaiting-approval' },
      { state: 'running' },
      { state: 'done', result: { n: 2 } },
      { state: 'error', error: 'boom' },
      { state: 'denied' },
      { state: 'cancelled', reason: 'stopped' },
    ),
    { nil: undefined },
  ),
});
const messageArb = fc.record({
  role: fc.constantFrom<Message['role']>('user', 'assistant'),
  text: textArb,
  status: fc.constantFrom<Message['status']>('complete', 'incomplete', 'streaming', 'stopping'),
  reason: fc.constantFrom('cancelled', 'disconnected', 'error', 'length', 'content-filter') as fc.Arbitrary<NonNullable<Message['incomplete']>['reason']>,
  calls: fc.array(toolCallArb, { maxLength: 3 }),
});
const historyArb = fc.array(messageArb, { maxLength: 8 }).map((drafts) => {
  const toolResults: Record<string, unknown> = {};
  const history = drafts.map((draft, i): Message => {
    const toolCalls =
      draft.role === 'assistant'
        ? draft.calls.map((c, j): ToolCall => {
            const id = `call_${i}_${j}`;
            if (c.result !== null) toolResults[id] = c.result;
            const built: ToolCall = { id, name: c.name, index: j, argsText: c.args[0], args: c.args[1], state: c.state };
            if (c.execution) built.execution = c.execution;
            return built;
          })
        : [];
    const m = message({ id: `m${i}`, role: draft.role, text: draft.text, status: draft.status, toolCalls });
    if (draft.status === 'incomplete') m.incomplete = { reason: draft.reason };
    return m;
  });
  return { history, toolResults };
});
const optionsArb = fc.record({
  toolCalls: fc.constantFrom<'drop' | 'close' | undefined>('drop', 'close', undefined),
  note: fc.constantFrom<boolean | string | undefined>(true, false, undefined, 'Stopped.', ''),
  withResults: fc.boolean(),
});

const hasStoredResult = (c: ToolCall) => c.execution !== undefined && c.execution.state !== 'running' && c.execution.state !== 'awaiting-approval';

describe('toModelMessages: any history', () => {
  it('always produces a history each provider accepts, and sends every named call that has a result', () => {
    fc.assert(
      fc.property(historyArb, optionsArb, ({ history, toolResults }, { toolCalls, note, withResults }) => {
        const base = { toolResults: withResults ? toolResults : undefined, incomplete: { toolCalls, note } };
        const chat = toModelMessages(history, { format: 'openai-chat', ...base });
        const responses = toModelMessages(history, { format: 'openai-responses', ...base });
        const anthropic = toModelMessages(history, { format: 'anthropic', ...base });
        expectValidOpenAIChat(chat);
        expectValidOpenAIResponses(responses);
        expectValidAnthropic(anthropic);

        const expectedIds = history
          .flatMap((m) => m.toolCalls)
          .filter((c) => c.name !== '' && ((withResults && toolResults[c.id] !== undefined) || toolCalls === 'close' || hasStoredResult(c)))
          .map((c) => c.id);
        expect(chat.flatMap((m) => (m.role === 'tool' ? [m.tool_call_id] : []))).toEqual(expectedIds);
        expect(responses.flatMap((item) => (item.type === 'function_call' ? [item.call_id] : []))).toEqual(expectedIds);
        expect(anthropic.flatMap((m) => m.content.flatMap((b) => (b.type === 'tool_use' ? [b.id] : [])))).toEqual(expectedIds);
      }),
      { numRuns: 300 },
    );
  });
});

// ---- results stored on the tool calls (`execution`, set with `setToolExecution`) ----------------

/** An answer with one tool call per execution state, then the user's next question. */
function executionHistory(): Message[] {
  const executions: (ToolExecution | undefined)[] = [
    { state: 'done', result: { temperature: 11 } },
    { state: 'done', result: 'sunny' },
    { state: 'error', error: 'Weather service timed out' },
    { state: 'denied', reason: 'Not that city' },
    { state: 'denied' },
    { state: 'cancelled', reason: 'stopped' },
    { state: 'cancelled', reason: 'disconnected' },
    { state: 'running' },
    { state: 'awaiting-approval' },
    undefined,
  ];
  const toolCalls = executions.map((execution, i) => {
    const c = call({ id: `call_${i}`, name: 'get_weather', index: i, argsText: '{"city":"Lyon"}', args: { city: 'Lyon' } });
    if (execution) c.execution = execution;
    return c;
  });
  return [
    message({ id: 'u1', role: 'user', text: 'Weather in Lyon?' }),
    message({ id: 'a1', role: 'assistant', text: 'Checking.', toolCalls, finishReason: 'tool-calls' }),
    message({ id: 'u2', role: 'user', text: 'And tomorrow?' }),
  ];
}

/** What each call of `executionHistory` sends: [id, result text, is an error]. */
const EXECUTION_RESULTS: [string, string, boolean][] = [
  ['call_0', '{"temperature":11}', false],
  ['call_1', 'sunny', false],
  ['call_2', 'Error: Weather service timed out', true],
  ['call_3', `${DENIED_TOOL_RESULT} Reason: Not that city`, true],
  ['call_4', DENIED_TOOL_RESULT, true],
  ['call_5', CANCELLED_TOOL_RESULT, true],
  ['call_6', DISCONNECTED_TOOL_RESULT, true],
];
const ARGS = '{"city":"Lyon"}';

describe('toModelMessages: stored tool executions', () => {
  it("'openai-chat': each call with a stored result is followed by its role:'tool' message; running, awaiting and unrun calls are dropped", () => {
    const out = toModelMessages(executionHistory());
    expectValidOpenAIChat(out);
    expect(out).toEqual([
      { role: 'user', content: 'Weather in Lyon?' },
      {
        role: 'assistant',
        content: 'Checking.',
        tool_calls: EXECUTION_RESULTS.map(([id]) => ({ id, type: 'function', function: { name: 'get_weather', arguments: ARGS } })),
      },
      ...EXECUTION_RESULTS.map(([id, content]) => ({ role: 'tool', tool_call_id: id, content })),
      { role: 'user', content: 'And tomorrow?' },
    ]);
  });

  it("'openai-responses': function_call items, each matched by its function_call_output", () => {
    const out = toModelMessages(executionHistory(), { format: 'openai-responses' });
    expectValidOpenAIResponses(out);
    expect(out).toEqual([
      { type: 'message', role: 'user', content: 'Weather in Lyon?' },
      { type: 'message', role: 'assistant', content: 'Checking.' },
      ...EXECUTION_RESULTS.map(([id]) => ({ type: 'function_call', call_id: id, name: 'get_weather', arguments: ARGS })),
      ...EXECUTION_RESULTS.map(([id, output]) => ({ type: 'function_call_output', call_id: id, output })),
      { type: 'message', role: 'user', content: 'And tomorrow?' },
    ]);
  });

  it("'anthropic': tool_result blocks first in the next user turn, is_error for error, denied and cancelled", () => {
    const out = toModelMessages(executionHistory(), { format: 'anthropic' });
    expectValidAnthropic(out);
    expect(out).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Weather in Lyon?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Checking.' },
          ...EXECUTION_RESULTS.map(([id]) => ({ type: 'tool_use', id, name: 'get_weather', input: { city: 'Lyon' } })),
        ],
      },
      {
        role: 'user',
        content: [
          ...EXECUTION_RESULTS.map(([id, content, isError]) => (isError ? { type: 'tool_result', tool_use_id: id, content, is_error: true } : { type: 'tool_result', tool_use_id: id, content })),
          { type: 'text', text: 'And tomorrow?' },
        ],
      },
    ]);
  });

  it("'close' closes the calls without a result (running, awaiting approval, never run) as today", () => {
    const out = toModelMessages(executionHistory(), { incomplete: 'close' });
    expectValidOpenAIChat(out);
    const tool = out.flatMap((m) => (m.role === 'tool' ? [[m.tool_call_id, m.content]] : []));
    expect(tool).toEqual([...EXECUTION_RESULTS.map(([id, content]) => [id, content]), ['call_7', MISSING_TOOL_RESULT], ['call_8', MISSING_TOOL_RESULT], ['call_9', MISSING_TOOL_RESULT]]);
  });

  it('the toolResults option wins over a stored execution', () => {
    const out = toModelMessages(executionHistory(), { format: 'anthropic', toolResults: { call_0: 'from the app', call_2: { recovered: true }, call_7: 'finished elsewhere' } });
    expectValidAnthropic(out);
    const results = out.flatMap((m) => m.content.flatMap((b) => (b.type === 'tool_result' ? [[b.tool_use_id, b.content, b.is_error ?? false]] : [])));
    expect(results).toEqual([
      ['call_0', 'from the app', false],
      ['call_1', 'sunny', false],
      ['call_2', '{"recovered":true}', false],
      ...EXECUTION_RESULTS.slice(3),
      ['call_7', 'finished elsewhere', false],
    ]);
  });

  it('a done execution without a result (a tool that returns nothing, or JSON that dropped it) sends null', () => {
    const history = [message({ id: 'a', role: 'assistant', toolCalls: [call({ id: 'c', name: 'ping', argsText: '{}', args: {}, execution: { state: 'done', result: undefined } })] })];
    expect(toModelMessages(history, { format: 'openai-responses' }).at(-1)).toEqual({ type: 'function_call_output', call_id: 'c', output: 'null' });
  });
});
