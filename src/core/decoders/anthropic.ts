import type { FinishReason } from '../types';
import type { EmitEvent, HandlerFactory } from './handler';

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
 * The thinking blocks of a message, one at a time: their text goes out as reasoning deltas (a
 * blank line before every block but the first, so blocks do not run together), and each block,
 * with its signature, as a `reasoning-part` when it stops.
 */
function createThinking(emit: EmitEvent) {
  /** The block being read, already in its `reasoning-part` shape (`signature` only once one came). */
  let part: { type: 'thinking'; text: string; signature?: string } | null = null;
  let index: unknown;
  let reasoned = false;
  const reason = (text: unknown) => {
    if (!part || typeof text !== 'string' || text === '') return;
    if (reasoned && part.text === '') emit({ type: 'reasoning-delta', delta: '\n\n' });
    reasoned = true;
    part.text += text;
    emit({ type: 'reasoning-delta', delta: text });
  };
  return {
    start(at: unknown, text: unknown) {
      part = { type: 'thinking', text: '' };
      index = at;
      reason(text);
    },
    /** A `thinking_delta` or `signature_delta`; the SDK keeps the last signature, not their concatenation. */
    delta(delta: any) {
      if (part && typeof delta.signature === 'string') part.signature = delta.signature;
      reason(delta.thinking);
    },
    stop(at: unknown) {
      if (!part || index !== at) return;
      emit({ type: 'reasoning-part', part });
      part = null;
    },
  };
}

/**
 * Anthropic Messages stream events. Content blocks are numbered by `index` across text, thinking
 * and tool_use blocks; a tool call's public id is its `tool_use.id`. Usage counts are cumulative
 * snapshots: `message_start` gives a placeholder output count that `message_delta` overwrites.
 */
export const createAnthropicHandler: HandlerFactory = (emit, _options, { emitArgsDelta, emitDelta, emitError, emitUsage }) => {
  /** block index → tool-call id, for tool_use blocks */
  const tools = new Map<number, string>();
  let finished = false;
  const thinking = createThinking(emit);

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
          thinking.start(data.index, block.thinking);
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
        } else if (delta.type === 'thinking_delta' || delta.type === 'signature_delta') {
          thinking.delta(delta);
        } else if (delta.type === 'citations_delta') {
          if (delta.citation != null) emit({ type: 'annotation', annotation: delta.citation });
        }
        return;
      }
      case 'content_block_stop': {
        thinking.stop(data.index);
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
