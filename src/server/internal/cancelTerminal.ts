import { STREAM_CANCELLED_EVENT } from '../../core/decoders/createStreamDecoder';
import { detectProtocolFromContentType } from '../../core/decoders/detectProtocol';
import { STREAM_CANCELLED_HEADER } from '../../core/ids';
import type { Protocol } from '../../core/types';
import type { CancelReport } from '../types';

/**
 * How a cancel is written into a stream (docs/server.md, "The pass-through"): the AI SDK's own
 * abort shape, our `stream-cancelled` SSE event, or nothing (plain text and NDJSON have no place
 * for it; the cancel answer carries the usage).
 */
export type TerminalKind = 'ai-sdk' | 'sse' | 'none';

/** The header that marks an AI SDK UI message stream; it is passed through with the body. */
export const AI_SDK_HEADER = 'x-vercel-ai-ui-message-stream';

const encoder = new TextEncoder();
/** The AI SDK's own cancel shape: an `abort` part, then `[DONE]` as on every normal close. */
const AI_SDK_TERMINAL = encoder.encode('data: {"type":"abort","reason":"cancelled"}\n\ndata: [DONE]\n\n');

export function kindOfProtocol(protocol: Protocol): TerminalKind {
  return protocol === 'ai-sdk' ? 'ai-sdk' : protocol === 'text' || protocol === 'ndjson' ? 'none' : 'sse';
}

/**
 * The terminal for a stream: the protocol the app named, else the one the side decoder detected,
 * else the upstream's headers. Before any upstream answered (`upstream` null) it is `sse`.
 */
export function terminalKindOf(protocol: Protocol | 'auto', detected: Protocol | null, upstream: Response | null): TerminalKind {
  if (protocol !== 'auto') return kindOfProtocol(protocol);
  if (detected) return kindOfProtocol(detected);
  if (upstream === null) return 'sse';
  if (upstream.headers.get(AI_SDK_HEADER)) return 'ai-sdk';
  const framing = detectProtocolFromContentType(upstream.headers.get('content-type'));
  // An unknown content type: never inject an SSE event into bytes we cannot read.
  return framing === 'sse' ? 'sse' : 'none';
}

/** The bytes that end a cancelled stream, or `null` when nothing is appended. */
export function terminalBytes(kind: TerminalKind, report: CancelReport): Uint8Array | null {
  if (kind === 'ai-sdk') return AI_SDK_TERMINAL;
  if (kind === 'sse') {
    const data = JSON.stringify({ usage: report.usage, usageEstimated: report.usageEstimated });
    return encoder.encode(`event: ${STREAM_CANCELLED_EVENT}\ndata: ${data}\n\n`);
  }
  return null;
}

function contentTypeOf(kind: TerminalKind, protocol: Protocol | 'auto'): string {
  if (kind !== 'none') return 'text/event-stream';
  return protocol === 'ndjson' ? 'application/x-ndjson' : 'text/plain; charset=utf-8';
}

/** A complete answer for a stream cancelled before its upstream answered: just the cancel terminal. */
export function cancelledResponse(kind: TerminalKind, protocol: Protocol | 'auto', report: CancelReport): Response {
  const headers = new Headers({
    'content-type': contentTypeOf(kind, protocol),
    'cache-control': 'no-cache',
    'x-accel-buffering': 'no',
    [STREAM_CANCELLED_HEADER]: 'true',
  });
  if (kind === 'ai-sdk') headers.set(AI_SDK_HEADER, 'v1');
  const bytes = terminalBytes(kind, report);
  return new Response(bytes ? new Blob([bytes as Uint8Array<ArrayBuffer>]).stream() : null, { status: 200, headers });
}
