import type { FinishReason } from '../../core/types';
import { sseEvent } from './sseFrames';
import type { WireEncoder, WireEncoderOptions } from './WireEncoder';

// Anthropic Messages events: one content block per run of text, thinking or tool input, numbered
// across kinds, usage in `message_start` and `message_delta`.

/** Our finish reasons as Anthropic `stop_reason`s. */
const ANTHROPIC_FINISH: Record<FinishReason, string> = {
  stop: 'end_turn',
  length: 'max_tokens',
  'tool-calls': 'tool_use',
  'content-filter': 'refusal',
  error: 'end_turn',
  cancelled: 'end_turn',
  other: 'pause_turn',
};


/** Encodes one answer as Anthropic Messages events. */
export function anthropicEncoder(options: WireEncoderOptions): WireEncoder {
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
