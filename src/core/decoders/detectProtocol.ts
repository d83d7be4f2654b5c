import type { Protocol } from '../types';

/**
 * The framing a content type names: `text/event-stream` → SSE (the protocol is then read from the
 * first event), NDJSON / JSON Lines → `ndjson`, `text/plain` → `text`. `null` when it says nothing.
 */
export function detectProtocolFromContentType(contentType: string | null | undefined): 'sse' | 'ndjson' | 'text' | null {
  if (!contentType) return null;
  const type = contentType.split(';', 1)[0]!.trim().toLowerCase();
  if (type === 'text/event-stream') return 'sse';
  if (type === 'application/x-ndjson' || type === 'application/ndjson' || type === 'application/jsonl' || type === 'application/x-jsonlines' || type === 'application/jsonlines') {
    return 'ndjson';
  }
  if (type === 'text/plain') return 'text';
  return null;
}

const ANTHROPIC_EVENTS = new Set([
  'message_start',
  'message_delta',
  'message_stop',
  'content_block_start',
  'content_block_delta',
  'content_block_stop',
  'ping',
]);

const AI_SDK_PARTS = new Set([
  'start',
  'finish',
  'abort',
  'start-step',
  'finish-step',
  'text-start',
  'text-delta',
  'text-end',
  'reasoning-start',
  'reasoning-delta',
  'reasoning-end',
  'tool-input-start',
  'tool-input-delta',
  'tool-input-available',
  'tool-input-error',
  'tool-output-available',
  'tool-output-error',
  'tool-output-denied',
  'tool-approval-request',
  'source-url',
  'source-document',
  'file',
  'message-metadata',
]);

/**
 * Which JSON protocol the first event of a stream belongs to, from its SSE event name and shape.
 * `null` when no rule matches (the caller raises a `StreamProtocolError`).
 */
export function detectProtocolFromEvent(data: unknown, eventName?: string): Exclude<Protocol, 'text' | 'ndjson'> | null {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return null;
  const event = data as Record<string, any>;
  const type: unknown = event.type ?? eventName;
  if (typeof type === 'string') {
    if (ANTHROPIC_EVENTS.has(type)) return 'anthropic';
    if (type.startsWith('response.') || type === 'keepalive') return 'openai-responses';
    if (AI_SDK_PARTS.has(type) || type.startsWith('data-')) return 'ai-sdk';
    if (type === 'error') {
      // Three error shapes open a stream that failed at once:
      // Anthropic `{type, error:{type, message}}`, AI SDK `{type, errorText}`,
      // Responses `{type, code, message}` or `{type, sequence_number, error:{…}}`.
      if ('errorText' in event) return 'ai-sdk';
      if ('sequence_number' in event || 'code' in event || 'message' in event) return 'openai-responses';
      if (event.error && typeof event.error === 'object') return 'anthropic';
      return null;
    }
  }
  if (event.object === 'chat.completion.chunk' || Array.isArray(event.choices)) return 'openai-chat';
  // Chat Completions reports a mid-stream failure as a bare `{error:{message,…}}`.
  if (type === undefined && event.error && typeof event.error === 'object') return 'openai-chat';
  return null;
}
