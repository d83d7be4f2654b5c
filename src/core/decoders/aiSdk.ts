import type { FinishReason } from '../types';
import type { HandlerFactory } from './handler';

const FINISH = new Set<string>(['stop', 'length', 'content-filter', 'tool-calls', 'error', 'other']);

function readPath(value: unknown, path: readonly string[]): unknown {
  let current: any = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = current[key];
  }
  return current;
}

/**
 * Vercel AI SDK UI message stream parts (v5 and later). Usage is not part of the protocol: it is
 * read from `messageMetadata` at `options.aiSdkUsagePath` (default `['usage']`), the convention
 * `messageMetadata: ({ part }) => part.type === 'finish' ? { usage: part.totalUsage } : undefined`.
 */
export const createAiSdkHandler: HandlerFactory = (emit, options, { emitArgsDelta, emitDelta, emitError, emitUsage }) => {
  const usagePath = options.aiSdkUsagePath ?? ['usage'];
  const started = new Set<string>();
  let finished = false;
  /** The reasoning part last written to. */
  let reasoningId: unknown;

  const readUsage = (metadata: unknown) => emitUsage(emit, readPath(metadata, usagePath), 'inputTokens', 'outputTokens');
  const start = (id: string, name: unknown) => {
    if (started.has(id)) return;
    started.add(id);
    emit({ type: 'tool-call-start', id, name: typeof name === 'string' ? name : '' });
  };
  const finish = (finishReason: FinishReason, rawFinishReason: string) => {
    if (finished) return;
    finished = true;
    emit({ type: 'finish', finishReason, rawFinishReason });
  };

  return (part) => {
    switch (part.type) {
      case 'start':
        if (typeof part.messageId === 'string') emit({ type: 'id', id: part.messageId });
        if (part.messageMetadata !== undefined) readUsage(part.messageMetadata);
        return;
      case 'text-delta':
        emitDelta(emit, 'text-delta', part.delta);
        return;
      case 'reasoning-delta':
        if (typeof part.delta !== 'string' || part.delta === '') return;
        // Reasoning parts are separate paragraphs, as with the providers' decoders.
        if (reasoningId !== undefined && reasoningId !== part.id) emit({ type: 'reasoning-delta', delta: '\n\n' });
        reasoningId = part.id;
        emitDelta(emit, 'reasoning-delta', part.delta);
        return;
      case 'source-url':
      case 'source-document':
        emit({ type: 'annotation', annotation: part });
        return;
      case 'tool-input-start':
        start(String(part.toolCallId), part.toolName);
        return;
      case 'tool-input-delta': {
        const id = String(part.toolCallId);
        start(id, undefined);
        emitArgsDelta(emit, id, part.inputTextDelta);
        return;
      }
      case 'tool-input-available':
      case 'tool-input-error': {
        const id = String(part.toolCallId);
        start(id, part.toolName);
        emit({ type: 'tool-call-end', id, args: part.input });
        return;
      }
      case 'message-metadata':
        readUsage(part.messageMetadata);
        return;
      case 'finish': {
        readUsage(part.messageMetadata);
        // ai@5.0.0 sent no finishReason; a finish part still means the answer ended normally.
        const raw = typeof part.finishReason === 'string' ? part.finishReason : null;
        finish(raw === null ? 'stop' : FINISH.has(raw) ? (raw as FinishReason) : 'other', raw ?? 'finish');
        return;
      }
      case 'abort':
        finish('cancelled', 'abort');
        return;
      case 'error':
        emitError(emit, String(part.errorText ?? 'An error occurred.'));
        return;
      default:
        // start-step, finish-step, text-/reasoning- start and end, tool outputs, files, data-*.
        return;
    }
  };
};
