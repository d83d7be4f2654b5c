import type { DecodeOptions, StreamEvent } from '../types';

// The protocol handler contract. The helpers handlers share live next to it, each in the module
// named after it: `emitEvents` (normalized events from wire values), `parseJson` (event JSON) and
// `../readUsage` (wire usage counts).

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
