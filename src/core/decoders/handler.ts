import type { DecodeOptions, Protocol, StreamEvent } from '../types';
import type { emitArgsDelta, emitDelta, emitError, emitUsage } from './emitEvents';

// The protocol handler contract. The helpers handlers share live next to it, each in the module
// named after it: `emitEvents` (normalized events from wire values), `parseJson` (event JSON) and
// `../readUsage` (wire usage counts). A handler imports none of them at run time: it gets the emit
// helpers as its `kit` argument, so that on the session's path each handler is a chunk of its own
// that imports nothing the up-front code has (docs/size.md, "Protocol handlers, loaded lazily").

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

/** The emit helpers of `emitEvents`, handed to every handler (see above why not imported). */
export type HandlerKit = {
  emitUsage: typeof emitUsage;
  emitDelta: typeof emitDelta;
  emitArgsDelta: typeof emitArgsDelta;
  emitError: typeof emitError;
};

export type HandlerFactory = (emit: EmitEvent, options: DecodeOptions, kit: HandlerKit) => JsonEventHandler;

/** The protocols with a JSON handler (NDJSON is Chat Completions chunks, one per line). */
export type JsonProtocol = Exclude<Protocol, 'text'>;

/**
 * Where a decoder gets a protocol's handler: at once (the static map of `decodeStream`,
 * `collectStream` and the server), or a promise of it (the session's lazily loaded chunks: the
 * decoder holds the events until it arrives).
 */
export type HandlerSource = (protocol: JsonProtocol) => HandlerFactory | Promise<HandlerFactory>;
