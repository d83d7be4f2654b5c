import type { FinishReason } from '../types';
import type { HandlerFactory } from './handler';

const FINISH: Record<string, FinishReason> = {
  stop: 'stop',
  length: 'length',
  tool_calls: 'tool-calls',
  function_call: 'tool-calls',
  content_filter: 'content-filter',
};

const CHAT_DETAILS = { cachedInputTokens: 'prompt_tokens_details.cached_tokens', reasoningTokens: 'completion_tokens_details.reasoning_tokens' };

/**
 * OpenAI Chat Completions chunks (`chat.completion.chunk`), as SSE `data:` events or NDJSON lines.
 * Tool-call fragments are grouped by `index`: only the first fragment of a call carries `id` and
 * `name`, so the handler remembers which id each index belongs to.
 */
export const createOpenAIChatHandler: HandlerFactory = (emit, _options, { emitArgsDelta, emitDelta, emitError, emitUsage }) => {
  let idSent = false;
  let failed = false;
  /** provider `index` → public tool-call id, for the calls still open */
  const open = new Map<number, string>();
  let legacyCall: string | null = null;

  const closeCalls = () => {
    for (const id of open.values()) emit({ type: 'tool-call-end', id });
    open.clear();
    if (legacyCall) emit({ type: 'tool-call-end', id: legacyCall });
    legacyCall = null;
  };

  return (chunk) => {
    // openai-node throws on the first `error` member and reads nothing after it; so do we.
    if (failed) return;
    if (chunk.error) {
      failed = true;
      const error = chunk.error;
      emitError(emit, typeof error === 'string' ? error : String(error.message ?? 'The model reported an error.'), error.code);
      return;
    }
    if (!idSent && typeof chunk.id === 'string') {
      idSent = true;
      emit({ type: 'id', id: chunk.id });
    }
    const choices = chunk.choices;
    if (Array.isArray(choices)) {
      for (const choice of choices) {
        // n > 1 asks for alternative answers; the message is the first one.
        if (!choice || (choice.index !== undefined && choice.index !== 0)) continue;
        const delta = choice.delta;
        if (delta) {
          // `reasoning_content` (DeepSeek, vLLM) and `reasoning` (OpenRouter) are common extensions.
          emitDelta(emit, 'reasoning-delta', delta.reasoning_content ?? delta.reasoning);
          emitDelta(emit, 'text-delta', delta.content);
          emitDelta(emit, 'refusal-delta', delta.refusal);
          if (Array.isArray(delta.tool_calls)) {
            for (const call of delta.tool_calls) {
              if (!call) continue;
              const index = typeof call.index === 'number' ? call.index : 0;
              const known = open.get(index);
              const sent: string | null = typeof call.id === 'string' && call.id !== '' ? call.id : null;
              let id: string;
              // A new id on a known index starts a new call (some compatible servers reuse index 0).
              if (known === undefined || (sent !== null && sent !== known)) {
                if (known !== undefined) emit({ type: 'tool-call-end', id: known });
                id = sent ?? `call_${index}`;
                open.set(index, id);
                emit({ type: 'tool-call-start', id, name: String(call.function?.name ?? '') });
              } else {
                id = known;
              }
              emitArgsDelta(emit, id, call.function?.arguments);
            }
          }
          // Legacy `function_call` (before parallel tool calls): one call per message.
          const fn = delta.function_call;
          if (fn) {
            if (!legacyCall) {
              legacyCall = 'function_call';
              emit({ type: 'tool-call-start', id: legacyCall, name: String(fn.name ?? '') });
            }
            emitArgsDelta(emit, legacyCall, fn.arguments);
          }
        }
        const raw = choice.finish_reason;
        if (typeof raw === 'string') {
          closeCalls();
          emit({ type: 'finish', finishReason: FINISH[raw] ?? 'other', rawFinishReason: raw });
        }
      }
    }
    emitUsage(emit, chunk.usage, 'prompt_tokens', 'completion_tokens', false, CHAT_DETAILS);
  };
};
