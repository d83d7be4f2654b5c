import type { EmitEvent } from './handler';
import { emitUsage } from './emitEvents';
import { parseJsonOrUndefined } from './parseJson';

// The SSE event the server helpers send when a stream was cancelled through the cancel endpoint:
// its name, and what the decoder makes of it whatever the protocol.

// An enum, not only the constant: a bundler (esbuild) writes an enum member's value in place,
// where it keeps top-level constants as variables. The exported constant keeps its literal type.
export enum Name {
  STREAM_CANCELLED_EVENT = 'stream-cancelled',
}

/** Name of the SSE event the server helpers send when a stream was cancelled through the cancel endpoint. */
export const STREAM_CANCELLED_EVENT: 'stream-cancelled' = Name.STREAM_CANCELLED_EVENT;

/** The usage and flag the server helper puts in its `stream-cancelled` event, as normalized events. */
export function emitCancelled(raw: string, emit: EmitEvent): void {
  // The event itself is the signal; a payload we cannot read only costs the usage.
  const data = parseJsonOrUndefined(raw);
  emitUsage(emit, data?.usage, 'inputTokens', 'outputTokens', data?.usageEstimated === true);
  emit({ type: 'finish', finishReason: 'cancelled', rawFinishReason: Name.STREAM_CANCELLED_EVENT });
}
