import type { FinishReason } from '../types';
import { emitArgsDelta, emitDelta, emitError, emitUsage } from './emitEvents';
import type { HandlerFactory } from './handler';

const FINISH: Record<string, FinishReason> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool-calls',
  refusal: 'content-filter',
  pause_turn: 'other',
};

const ANTHROPIC_DETAILS = { cachedInputTokens: 'cache_read_input_tokens', cacheWriteInputTokens: 'cache_creation_input_tokens' };

/**
 * Anthropic Messages stream events. Content blocks are numbered by `index` across text, thinking
 * and tool_use blocks; a tool call's public id is its `tool_use.id`. Usage counts are cumulative
 * snapshots: `message_start` gives a placeholder output count that `message_delta` overwrites.
 */
export const createAnthropicHandler: HandlerFactory = (emit) => {
  /** block index → tool-call id, for tool_use blocks */
  const tools = new Map<number, string>();
  let finished = false;
  /** The thinking block being read (its text and signature make its `reasoning-part`); blocks come one at a time. */
  let thinking: { index: unknown; text: string; signature?: string } | null = null;
  /** Reasoning text was emitted: the next thinking block starts after a blank line. */
  let reasoned = false;

  const reason = (text: unknown) => {
    if (!thinking || typeof text !== 'string' || text === '') return;
    if (reasoned && thinking.text === '') emit({ type: 'reasoning-delta', delta: '\n\n' });
    reasoned = true;
    thinking.text += text;
    emit({ type: 'reasoning-delta', delta: text });
  };

  return (data, eventName) => {
    const type = typeof data.type === 'string' ? data.type : eventName;
    switch (type) {
      case 'message_start': {
        const message = data.message ?? {};
        if (typeof message.id === 'string') emit({ type: 'id', id: message.id });
        emitUsage(emit, message.usage, 'input_tokens', 'output_tokens', false, ANTHROPIC_DETAILS);
        return;
      }
      case 'content_block_start': {
        const block = data.content_block ?? {};
        if (block.type === 'tool_use') {
          const id = typeof block.id === 'string' ? block.id : `toolu_${data.index}`;
          tools.set(data.index, id);
          emit({ type: 'tool-call-start', id, name: String(block.name ?? '') });
        } else if (block.type === 'text') {
          emitDelta(emit, 'text-delta', block.text);
        } else if (block.type === 'thinking') {
          thinking = { index: data.index, text: '' };
          reason(block.thinking);
        } else if (block.type === 'redacted_thinking') {
          emit({ type: 'reasoning-part', part: { type: 'redacted', data: String(block.data ?? '') } });
        }
        return;
      }
      case 'content_block_delta': {
        const delta = data.delta ?? {};
        if (delta.type === 'text_delta') {
          emitDelta(emit, 'text-delta', delta.text);
        } else if (delta.type === 'input_json_delta') {
          const id = tools.get(data.index);
          if (id !== undefined) emitArgsDelta(emit, id, delta.partial_json);
        } else if (delta.type === 'thinking_delta') {
          reason(delta.thinking);
        } else if (delta.type === 'signature_delta') {
          // The SDK keeps the last signature, not their concatenation.
          if (thinking && typeof delta.signature === 'string') thinking.signature = delta.signature;
        } else if (delta.type === 'citations_delta') {
          if (delta.citation != null) emit({ type: 'annotation', annotation: delta.citation });
        }
        return;
      }
      case 'content_block_stop': {
        if (thinking && thinking.index === data.index) {
          const { text, signature } = thinking;
          emit({ type: 'reasoning-part', part: signature === undefined ? { type: 'thinking', text } : { type: 'thinking', text, signature } });
          thinking = null;
        }
        const id = tools.get(data.index);
        if (id !== undefined) {
          tools.delete(data.index);
          emit({ type: 'tool-call-end', id });
        }
        return;
      }
      case 'message_delta': {
        emitUsage(emit, data.usage, 'input_tokens', 'output_tokens', false, ANTHROPIC_DETAILS);
        const raw = data.delta?.stop_reason;
        if (!finished && typeof raw === 'string') {
          finished = true;
          const sequence = data.delta.stop_sequence;
          emit({ type: 'finish', finishReason: FINISH[raw] ?? 'other', rawFinishReason: raw, ...(typeof sequence === 'string' && { stopSequence: sequence }) });
        }
        return;
      }
      case 'error': {
        const error = data.error ?? {};
        emitError(emit, String(error.message ?? 'The model reported an error.'), typeof error.type === 'string' ? error.type : null);
        return;
      }
      default:
        // ping, message_stop, and event types added later.
        return;
    }
  };
};
