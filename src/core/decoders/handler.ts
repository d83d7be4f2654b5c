import type { DecodeOptions, StreamEvent, Usage } from '../types';

/** Receives normalized events from a decoder. */
export type EmitEvent = (event: StreamEvent) => void;

/**
 * A protocol handler turns one parsed JSON event into normalized events. Framing (SSE, NDJSON),
 * `[DONE]`, `stream-cancelled` and protocol detection live in `createStreamDecoder`, so a handler
 * only knows its provider's JSON. `data` is always an object (or array): the decoder ignores other
 * JSON values. `eventName` is the SSE `event:` field (undefined for NDJSON or
 * data-only SSE). Handlers keep their per-stream state in a closure, one handler per stream.
 */
export type JsonEventHandler = (data: any, eventName: string | undefined) => void;

export type HandlerFactory = (emit: EmitEvent, options: DecodeOptions) => JsonEventHandler;

/** `text` parsed as JSON, or `undefined` when it is not JSON. */
export function parseJsonOrUndefined(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A count from the wire, or `null` when it is missing or not a finite number. */
export function toCount(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/**
 * Usage from a wire object's two count fields (`null` counts when missing or not finite numbers);
 * `null` when `value` is not an object. `estimated` is set only when true.
 */
export function readUsage(value: any, inputKey: string, outputKey: string, estimated?: boolean): Usage | null {
  if (value === null || typeof value !== 'object') return null;
  const usage: Usage = { inputTokens: toCount(value[inputKey]), outputTokens: toCount(value[outputKey]) };
  if (estimated) usage.estimated = true;
  return usage;
}

/** Emits a `usage` event when `value` is an object (see {@link readUsage}). */
export function emitUsage(emit: EmitEvent, value: unknown, inputKey: string, outputKey: string, estimated?: boolean): void {
  const usage = readUsage(value, inputKey, outputKey, estimated);
  if (usage) emit({ type: 'usage', usage });
}

/** Emits a text or reasoning delta when `value` is a non-empty string. */
export function emitDelta(emit: EmitEvent, type: 'text-delta' | 'reasoning-delta', value: unknown): void {
  if (typeof value === 'string' && value !== '') emit({ type, delta: value });
}

/** Emits a fragment of tool call `id`'s arguments when `value` is a non-empty string. */
export function emitArgsDelta(emit: EmitEvent, id: string, value: unknown): void {
  if (typeof value === 'string' && value !== '') emit({ type: 'tool-call-delta', id, delta: value });
}

/** Emits an in-stream `error`, with a `code` only when the wire gave one. */
export function emitError(emit: EmitEvent, message: string, code?: unknown): void {
  emit(code != null ? { type: 'error', message, code: String(code) } : { type: 'error', message });
}
