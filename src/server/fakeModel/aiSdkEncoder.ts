import { sseData } from './sseFrames';
import type { WireEncoder, WireEncoderOptions } from './WireEncoder';

// Vercel AI SDK UI message stream parts (v5 and later): start/delta/end per text or reasoning run,
// tool input parts, usage in the finish part's `messageMetadata`.

/** Encodes one answer as AI SDK UI message stream parts. */
export function aiSdkEncoder(options: WireEncoderOptions): WireEncoder {
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
