import type { FinishReason, Protocol } from '../../core/types';

/**
 * Writes a model's answer in one of the six wire formats, piece by piece, the way the real
 * providers do (the same framing, field order and extra fields as the recordings in
 * `test/fixtures/`). It is the inverse of the decoders and serves the fake model, the demo, the
 * benchmarks and the tests. Every method returns the text to send (possibly empty).
 */
export type WireEncoder = {
  readonly protocol: Protocol;
  /** The `content-type` of the response. */
  readonly contentType: string;
  /** Opening events (ids, lifecycle). */
  start(): string;
  text(delta: string): string;
  reasoning(delta: string): string;
  toolStart(id: string, name: string): string;
  toolDelta(id: string, delta: string): string;
  toolEnd(id: string): string;
  /** Closing events: finish reason, usage, end-of-stream marker. */
  finish(reason: FinishReason, usage: { inputTokens: number; outputTokens: number }): string;
  /** An error reported inside the stream, then the end of the stream. */
  error(message: string): string;
};

export type WireEncoderOptions = {
  /** Response / message id. */
  id?: string;
  model?: string;
  /** Unix seconds used for `created` fields (fixed by default, so output is deterministic). */
  created?: number;
  /** Input tokens reported where a format sends them up front (Anthropic `message_start`). Default 0. */
  inputTokens?: number;
};

const sseData = (json: unknown) => `data: ${JSON.stringify(json)}\n\n`;
const sseEvent = (type: string, json: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...json })}\n\n`;

const CHAT_FINISH: Record<FinishReason, string> = {
  stop: 'stop',
  length: 'length',
  'tool-calls': 'tool_calls',
  'content-filter': 'content_filter',
  error: 'stop',
  cancelled: 'stop',
  other: 'stop',
};
const ANTHROPIC_FINISH: Record<FinishReason, string> = {
  stop: 'end_turn',
  length: 'max_tokens',
  'tool-calls': 'tool_use',
  'content-filter': 'refusal',
  error: 'end_turn',
  cancelled: 'end_turn',
  other: 'pause_turn',
};

/**
 * Creates an encoder for one answer in `protocol`.
 *
 * @example
 * ```ts
 * const wire = createWireEncoder('anthropic', { id: 'msg_1' });
 * const body = wire.start() + wire.text('Hello') + wire.finish('stop', { inputTokens: 5, outputTokens: 1 });
 * new Response(body, { headers: { 'content-type': wire.contentType } });
 * ```
 */
export function createWireEncoder(protocol: Protocol, options: WireEncoderOptions = {}): WireEncoder {
  switch (protocol) {
    case 'openai-chat':
    case 'ndjson':
      return chatEncoder(protocol, options);
    case 'openai-responses':
      return responsesEncoder(options);
    case 'anthropic':
      return anthropicEncoder(options);
    case 'ai-sdk':
      return aiSdkEncoder(options);
    case 'text':
      return textEncoder();
  }
}

function chatEncoder(protocol: 'openai-chat' | 'ndjson', options: WireEncoderOptions): WireEncoder {
  const id = options.id ?? 'chatcmpl-fake0000000000000000000001';
  const model = options.model ?? 'fake-model-1';
  const created = options.created ?? 1741950000;
  const ndjson = protocol === 'ndjson';
  const frame = (json: unknown) => (ndjson ? `${JSON.stringify(json)}\n` : sseData(json));
  const chunk = (delta: unknown, finishReason: string | null = null) =>
    frame({
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      system_fingerprint: 'fp_fake',
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      usage: null,
    });
  const indexes = new Map<string, number>();
  return {
    protocol,
    contentType: ndjson ? 'application/x-ndjson' : 'text/event-stream',
    start: () => chunk({ role: 'assistant', content: '', refusal: null }),
    text: (delta) => chunk({ content: delta }),
    reasoning: (delta) => chunk({ reasoning_content: delta }),
    toolStart: (callId, name) => {
      const index = indexes.size;
      indexes.set(callId, index);
      return chunk({ tool_calls: [{ index, id: callId, type: 'function', function: { name, arguments: '' } }] });
    },
    toolDelta: (callId, delta) => chunk({ tool_calls: [{ index: indexes.get(callId) ?? 0, function: { arguments: delta } }] }),
    toolEnd: () => '',
    finish: (reason, usage) =>
      chunk({}, CHAT_FINISH[reason]) +
      frame({
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        system_fingerprint: 'fp_fake',
        choices: [],
        usage: { prompt_tokens: usage.inputTokens, completion_tokens: usage.outputTokens, total_tokens: usage.inputTokens + usage.outputTokens },
      }) +
      (ndjson ? '' : 'data: [DONE]\n\n'),
    error: (message) => frame({ error: { message, type: 'server_error', param: null, code: null } }),
  };
}

function responsesEncoder(options: WireEncoderOptions): WireEncoder {
  const id = options.id ?? 'resp_fake000000000000000000000000000000000000001';
  const model = options.model ?? 'fake-model-1';
  const created = options.created ?? 1741950100;
  let sequence = 0;
  let outputIndex = 0;
  const output: unknown[] = [];
  let message: { id: string; index: number; text: string } | null = null;
  let reasoningItem: { id: string; index: number; text: string } | null = null;
  const calls = new Map<string, { itemId: string; index: number; name: string; args: string }>();
  const event = (type: string, json: Record<string, unknown>) => sseEvent(type, { ...json, sequence_number: sequence++ });
  const response = (status: string, extra: Record<string, unknown> = {}) => ({
    id,
    object: 'response',
    created_at: created,
    status,
    error: null,
    incomplete_details: null,
    model,
    output,
    usage: null,
    ...extra,
  });

  const closeMessage = () => {
    if (!message) return '';
    const m = message;
    message = null;
    const part = { type: 'output_text', annotations: [], logprobs: [], text: m.text };
    const item = { id: m.id, type: 'message', status: 'completed', content: [part], role: 'assistant' };
    output.push(item);
    return (
      event('response.output_text.done', { content_index: 0, item_id: m.id, logprobs: [], output_index: m.index, text: m.text }) +
      event('response.content_part.done', { content_index: 0, item_id: m.id, output_index: m.index, part }) +
      event('response.output_item.done', { item, output_index: m.index })
    );
  };
  const closeReasoning = () => {
    if (!reasoningItem) return '';
    const r = reasoningItem;
    reasoningItem = null;
    const item = { id: r.id, type: 'reasoning', summary: [{ type: 'summary_text', text: r.text }] };
    output.push(item);
    return event('response.output_item.done', { item, output_index: r.index });
  };

  return {
    protocol: 'openai-responses',
    contentType: 'text/event-stream',
    start: () => event('response.created', { response: response('in_progress') }) + event('response.in_progress', { response: response('in_progress') }),
    text(delta) {
      let out = closeReasoning();
      if (!message) {
        message = { id: `msg_fake${outputIndex}`, index: outputIndex++, text: '' };
        out +=
          event('response.output_item.added', { item: { id: message.id, type: 'message', status: 'in_progress', content: [], role: 'assistant' }, output_index: message.index }) +
          event('response.content_part.added', { content_index: 0, item_id: message.id, output_index: message.index, part: { type: 'output_text', annotations: [], logprobs: [], text: '' } });
      }
      message.text += delta;
      return out + event('response.output_text.delta', { content_index: 0, delta, item_id: message.id, logprobs: [], output_index: message.index });
    },
    reasoning(delta) {
      let out = '';
      if (!reasoningItem) {
        reasoningItem = { id: `rs_fake${outputIndex}`, index: outputIndex++, text: '' };
        out += event('response.output_item.added', { item: { id: reasoningItem.id, type: 'reasoning', summary: [] }, output_index: reasoningItem.index });
      }
      reasoningItem.text += delta;
      return out + event('response.reasoning_summary_text.delta', { item_id: reasoningItem.id, output_index: reasoningItem.index, summary_index: 0, delta });
    },
    toolStart(callId, name) {
      const call = { itemId: `fc_${callId}`, index: outputIndex++, name, args: '' };
      calls.set(callId, call);
      return (
        closeMessage() +
        closeReasoning() +
        event('response.output_item.added', { item: { id: call.itemId, type: 'function_call', status: 'in_progress', arguments: '', call_id: callId, name }, output_index: call.index })
      );
    },
    toolDelta(callId, delta) {
      const call = calls.get(callId)!;
      call.args += delta;
      return event('response.function_call_arguments.delta', { delta, item_id: call.itemId, output_index: call.index });
    },
    toolEnd(callId) {
      const call = calls.get(callId)!;
      const item = { id: call.itemId, type: 'function_call', status: 'completed', arguments: call.args, call_id: callId, name: call.name };
      output.push(item);
      return (
        event('response.function_call_arguments.done', { arguments: call.args, item_id: call.itemId, name: call.name, output_index: call.index }) +
        event('response.output_item.done', { item, output_index: call.index })
      );
    },
    finish(reason, usage) {
      const closing = closeMessage() + closeReasoning();
      const usageJson = { input_tokens: usage.inputTokens, output_tokens: usage.outputTokens, total_tokens: usage.inputTokens + usage.outputTokens };
      if (reason === 'length' || reason === 'content-filter') {
        const details = { reason: reason === 'length' ? 'max_output_tokens' : 'content_filter' };
        return closing + event('response.incomplete', { response: response('incomplete', { incomplete_details: details, usage: usageJson }) });
      }
      return closing + event('response.completed', { response: response('completed', { usage: usageJson }) });
    },
    error: (message) => event('error', { code: 'server_error', message, param: null }),
  };
}

function anthropicEncoder(options: WireEncoderOptions): WireEncoder {
  const id = options.id ?? 'msg_01Fake000000000000000001';
  const model = options.model ?? 'fake-model-1';
  let blockIndex = -1;
  let open: { kind: 'text' | 'thinking' | 'tool'; callId?: string } | null = null;
  const stop = () => {
    if (!open) return '';
    open = null;
    return sseEvent('content_block_stop', { index: blockIndex });
  };
  const begin = (kind: 'text' | 'thinking', block: Record<string, unknown>) => {
    if (open?.kind === kind) return '';
    const out = stop();
    blockIndex++;
    open = { kind };
    return out + sseEvent('content_block_start', { index: blockIndex, content_block: block });
  };
  return {
    protocol: 'anthropic',
    contentType: 'text/event-stream',
    start: () =>
      sseEvent('message_start', {
        message: {
          model,
          id,
          type: 'message',
          role: 'assistant',
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: options.inputTokens ?? 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 1 },
        },
      }),
    text: (delta) => begin('text', { type: 'text', text: '' }) + sseEvent('content_block_delta', { index: blockIndex, delta: { type: 'text_delta', text: delta } }),
    reasoning: (delta) =>
      begin('thinking', { type: 'thinking', thinking: '', signature: '' }) +
      sseEvent('content_block_delta', { index: blockIndex, delta: { type: 'thinking_delta', thinking: delta } }),
    toolStart(callId, name) {
      const out = stop();
      blockIndex++;
      open = { kind: 'tool', callId };
      return (
        out +
        sseEvent('content_block_start', { index: blockIndex, content_block: { type: 'tool_use', id: callId, name, input: {} } }) +
        sseEvent('content_block_delta', { index: blockIndex, delta: { type: 'input_json_delta', partial_json: '' } })
      );
    },
    toolDelta: (_callId, delta) => sseEvent('content_block_delta', { index: blockIndex, delta: { type: 'input_json_delta', partial_json: delta } }),
    toolEnd: () => stop(),
    finish: (reason, usage) =>
      stop() +
      sseEvent('message_delta', {
        delta: { stop_reason: ANTHROPIC_FINISH[reason], stop_sequence: null },
        usage: { input_tokens: usage.inputTokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: usage.outputTokens },
      }) +
      sseEvent('message_stop', {}),
    error: (message) => sseEvent('error', { error: { type: 'overloaded_error', message } }),
  };
}

function aiSdkEncoder(options: WireEncoderOptions): WireEncoder {
  const id = options.id ?? 'fakeMessage00001';
  let part = 0;
  let open: { kind: 'text' | 'reasoning'; id: string } | null = null;
  const args = new Map<string, { name: string; text: string }>();
  const close = () => {
    if (!open) return '';
    const o = open;
    open = null;
    return sseData({ type: `${o.kind}-end`, id: o.id });
  };
  const begin = (kind: 'text' | 'reasoning') => {
    if (open?.kind === kind) return '';
    const out = close();
    open = { kind, id: `${kind === 'reasoning' ? 'r' : ''}${part++}` };
    return out + sseData({ type: `${kind}-start`, id: open.id });
  };
  return {
    protocol: 'ai-sdk',
    contentType: 'text/event-stream',
    start: () => sseData({ type: 'start', messageId: id }) + sseData({ type: 'start-step' }),
    text: (delta) => begin('text') + sseData({ type: 'text-delta', id: open!.id, delta }),
    reasoning: (delta) => begin('reasoning') + sseData({ type: 'reasoning-delta', id: open!.id, delta }),
    toolStart(callId, name) {
      args.set(callId, { name, text: '' });
      return close() + sseData({ type: 'tool-input-start', toolCallId: callId, toolName: name });
    },
    toolDelta(callId, delta) {
      args.get(callId)!.text += delta;
      return sseData({ type: 'tool-input-delta', toolCallId: callId, inputTextDelta: delta });
    },
    toolEnd(callId) {
      const call = args.get(callId)!;
      let input: unknown;
      try {
        input = JSON.parse(call.text);
      } catch {
        input = call.text;
      }
      return sseData({ type: 'tool-input-available', toolCallId: callId, toolName: call.name, input });
    },
    finish: (reason, usage) =>
      close() +
      sseData({ type: 'finish-step' }) +
      sseData({
        type: 'finish',
        finishReason: reason,
        messageMetadata: { usage: { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, totalTokens: usage.inputTokens + usage.outputTokens } },
      }) +
      'data: [DONE]\n\n',
    error: (message) => sseData({ type: 'error', errorText: message }) + 'data: [DONE]\n\n',
  };
}

function textEncoder(): WireEncoder {
  return {
    protocol: 'text',
    contentType: 'text/plain; charset=utf-8',
    start: () => '',
    text: (delta) => delta,
    reasoning: () => '',
    toolStart: () => '',
    toolDelta: () => '',
    toolEnd: () => '',
    finish: () => '',
    error: () => '',
  };
}
