import type { DecodeOptions, StreamEvent } from '../types';

/** Receives normalized events from a decoder. */
export type EmitEvent = (event: StreamEvent) => void;

/**
 * A protocol handler turns one parsed JSON event into normalized events. Framing (SSE, NDJSON),
 * `[DONE]`, `stream-cancelled` and protocol detection live in `createStreamDecoder`, so a handler
 * only knows its provider's JSON. `eventName` is the SSE `event:` field (undefined for NDJSON or
 * data-only SSE). Handlers keep their per-stream state in a closure, one handler per stream.
 */
export type JsonEventHandler = (data: any, eventName: string | undefined) => void;

export type HandlerFactory = (emit: EmitEvent, options: DecodeOptions) => JsonEventHandler;

/** A count from the wire, or `null` when it is missing or not a finite number. */
export function toCount(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}
