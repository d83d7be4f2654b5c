import type { FinishReason } from '../../core/types';
import { sseData } from './sseFrames';
import type { WireEncoder, WireEncoderOptions } from './WireEncoder';

// OpenAI Chat Completions chunks, as SSE `data:` events or (`ndjson`) as openai-node's
// `toReadableStream()` lines: one `chat.completion.chunk` per piece, usage in a last chunk.

/** Our finish reasons as Chat `finish_reason`s (those Chat lacks end as `stop`). */
const CHAT_FINISH: Record<FinishReason, string> = {
  stop: 'stop',
  length: 'length',
  'tool-calls': 'tool_calls',
  'content-filter': 'content_filter',
  error: 'stop',
  cancelled: 'stop',
  other: 'stop',
};

/** Encodes one answer as OpenAI Chat chunks (`ndjson`: as lines rather than SSE events). */
export function chatEncoder(protocol: 'openai-chat' | 'ndjson', options: WireEncoderOptions): WireEncoder {
  const id = options.id ?? 'chatcmpl-fake0000000000000000000001';
  const model = options.model ?? 'fake-model-1';
  const created = options.created ?? 1741950000;
  const ndjson = protocol === 'ndjson';
  const frame = (json: unknown) => (ndjson ? `${JSON.stringify(json)}\n` : sseData(json));
  // Every chunk is this envelope: one choice with a delta, or (the last) no choice and the usage.
  const envelope = (choices: unknown[], usage: unknown) => frame({ id, object: 'chat.completion.chunk', created, model, system_fingerprint: 'fp_fake', choices, usage });
  const chunk = (delta: unknown, finishReason: string | null = null) => envelope([{ index: 0, delta, logprobs: null, finish_reason: finishReason }], null);
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
      envelope([], { prompt_tokens: usage.inputTokens, completion_tokens: usage.outputTokens, total_tokens: usage.inputTokens + usage.outputTokens }) +
      (ndjson ? '' : 'data: [DONE]\n\n'),
    error: (message) => frame({ error: { message, type: 'server_error', param: null, code: null } }),
  };
}
