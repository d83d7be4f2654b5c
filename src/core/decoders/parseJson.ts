import { StreamProtocolError } from '../errors';
import type { Protocol } from '../types';

// JSON parsing for the decoders: the tolerant form (a payload we may do without) and the strict
// form (an event that must be JSON, whose failure names where it happened).

/** `text` parsed as JSON, or `undefined` when it is not JSON. */
export function parseJsonOrUndefined(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * One stream event's JSON (`isSse`: an SSE `data:` field, else an NDJSON line). Not JSON throws a
 * `malformed-event` error carrying the raw text and, once known, the protocol.
 */
export function parseEventJson(raw: string, isSse: boolean, protocol: Protocol | null): unknown {
  try {
    return JSON.parse(raw);
  } catch (cause) {
    throw new StreamProtocolError(
      'malformed-event',
      `A ${isSse ? 'stream event' : 'line'} is not valid JSON${protocol ? ` (protocol ${protocol})` : ''}.`,
      raw,
      { cause },
    );
  }
}
