// Fixture-shaped wire bytes for the history tests (test/store/history.*): the events the providers
// send (same shapes as test/fixtures c-anthropic-messages/7 and b-openai-responses/6), built per
// step so one run can have several steps, and cut anywhere to model a Stop mid-stream.

const sse = (event: string, data: Record<string, unknown>) => `event: ${event}\ndata: ${JSON.stringify({ type: event, ...data })}\n\n`;

/** Anthropic Messages stream events, numbered content blocks. */
export const anthropic = {
  start: (id: string) =>
    sse('message_start', {
      message: { id, type: 'message', role: 'assistant', model: 'claude-sonnet-4-5-20250929', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 500, output_tokens: 3 } },
    }),
  /** A thinking block; without `signature` it is cut before its signature and stop (a Stop mid-thinking). */
  thinking: (index: number, thinking: string[], signature?: string) =>
    sse('content_block_start', { index, content_block: { type: 'thinking', thinking: '', signature: '' } }) +
    thinking.map((text) => sse('content_block_delta', { index, delta: { type: 'thinking_delta', thinking: text } })).join('') +
    (signature === undefined ? '' : sse('content_block_delta', { index, delta: { type: 'signature_delta', signature } }) + sse('content_block_stop', { index })),
  redacted: (index: number, data: string) =>
    sse('content_block_start', { index, content_block: { type: 'redacted_thinking', data } }) + sse('content_block_stop', { index }),
  text: (index: number, text: string) =>
    sse('content_block_start', { index, content_block: { type: 'text', text: '' } }) +
    sse('content_block_delta', { index, delta: { type: 'text_delta', text } }) +
    sse('content_block_stop', { index }),
  /** A tool_use block whose input arrives in `json` pieces; `open` leaves it without its stop (cut mid-arguments). */
  toolUse: (index: number, id: string, name: string, json: string[], open = false) =>
    sse('content_block_start', { index, content_block: { type: 'tool_use', id, name, input: {} } }) +
    json.map((partial_json) => sse('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json } })).join('') +
    (open ? '' : sse('content_block_stop', { index })),
  end: (stopReason: 'end_turn' | 'tool_use') =>
    sse('message_delta', { delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: 120 } }) + sse('message_stop', {}),
};

/** OpenAI Responses stream events; `seq` numbers them as the API does. */
export function responses(responseId: string) {
  let seq = 0;
  let output = 0;
  const ev = (event: string, data: Record<string, unknown>) => sse(event, { ...data, sequence_number: seq++ });
  const response = (status: string) => ({ id: responseId, object: 'response', status, model: 'o4-mini-2025-04-16', output: [], usage: null });
  return {
    /** Any event, numbered; `skip()` takes an output index for an item written with it. */
    raw: ev,
    skip: () => output++,
    start: () => ev('response.created', { response: response('in_progress') }),
    /** A reasoning item; `done: false` leaves it open (a Stop mid-reasoning). */
    reasoning(id: string, summary: string[], encrypted: string | null, done = true) {
      const at = output++;
      let out = ev('response.output_item.added', { output_index: at, item: { id, type: 'reasoning', summary: [], encrypted_content: null } });
      summary.forEach((text, summary_index) => {
        out += ev('response.reasoning_summary_part.added', { item_id: id, output_index: at, summary_index, part: { type: 'summary_text', text: '' } });
        out += ev('response.reasoning_summary_text.delta', { item_id: id, output_index: at, summary_index, delta: text });
        if (done) out += ev('response.reasoning_summary_text.done', { item_id: id, output_index: at, summary_index, text });
      });
      const item = { id, type: 'reasoning', summary: summary.map((text) => ({ type: 'summary_text', text })), encrypted_content: encrypted };
      return done ? out + ev('response.output_item.done', { output_index: at, item }) : out;
    },
    message(id: string, text: string) {
      const at = output++;
      const item = { id, type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text, annotations: [] }] };
      return (
        ev('response.output_item.added', { output_index: at, item: { ...item, status: 'in_progress', content: [] } }) +
        ev('response.output_text.delta', { item_id: id, output_index: at, content_index: 0, delta: text }) +
        ev('response.output_text.done', { item_id: id, output_index: at, content_index: 0, text }) +
        ev('response.output_item.done', { output_index: at, item })
      );
    },
    /** A function_call item whose arguments arrive in pieces; `open` leaves it cut mid-arguments. */
    functionCall(id: string, callId: string, name: string, args: string[], open = false) {
      const at = output++;
      const item = { id, type: 'function_call', status: 'completed', call_id: callId, name, arguments: args.join('') };
      let out = ev('response.output_item.added', { output_index: at, item: { ...item, status: 'in_progress', arguments: '' } });
      for (const delta of args) out += ev('response.function_call_arguments.delta', { item_id: id, output_index: at, delta });
      if (open) return out;
      return out + ev('response.function_call_arguments.done', { item_id: id, output_index: at, arguments: item.arguments }) + ev('response.output_item.done', { output_index: at, item });
    },
    end: () => ev('response.completed', { response: { ...response('completed'), usage: { input_tokens: 400, output_tokens: 90, output_tokens_details: { reasoning_tokens: 64 } } } }),
  };
}

/** OpenAI Chat Completions chunks (`data:` lines, `[DONE]` at the end). */
export function chat(id: string) {
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1741950000, model: 'gpt-4.1-mini', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  return {
    text: (text: string) => chunk({ role: 'assistant', content: text }),
    refusal: (refusal: string) => chunk({ role: 'assistant', content: null, refusal }),
    toolCall: (index: number, callId: string, name: string, args: string[]) =>
      chunk({ tool_calls: [{ index, id: callId, type: 'function', function: { name, arguments: '' } }] }) +
      args.map((piece) => chunk({ tool_calls: [{ index, function: { arguments: piece } }] })).join(''),
    end: (finish: 'stop' | 'tool_calls') => chunk({}, finish) + 'data: [DONE]\n\n',
  };
}

/** A built-in tool's call item in a Responses stream (web search): the store keeps nothing of it. */
export function webSearchCall(r: { raw(event: string, data: Record<string, unknown>): string }, id: string, outputIndex: number): string {
  const item = { id, type: 'web_search_call', status: 'completed', action: { type: 'search', query: 'time in Lyon' } };
  return r.raw('response.output_item.added', { output_index: outputIndex, item: { ...item, status: 'in_progress' } }) + r.raw('response.output_item.done', { output_index: outputIndex, item });
}
