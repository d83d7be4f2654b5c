import type { Protocol } from '../types';

/**
 * The framing a content type names: `text/event-stream` → SSE (the protocol is then read from the
 * first event), NDJSON / JSON Lines → `ndjson`, `text/plain` → `text`. `null` when it says nothing.
 */
export function detectProtocolFromContentType(contentType: string | null | undefined): 'sse' | 'ndjson' | 'text' | null {
  if (!contentType) return null;
  const type = contentType.split(';', 1)[0]!.trim().toLowerCase();
  if (type === 'text/event-stream') return 'sse';
  // application/x-ndjson, application/ndjson, application/jsonl, application/x-jsonlines, application/jsonlines
  if (/^application\/(x-ndjson|ndjson|jsonl|x-jsonlines|jsonlines)$/.test(type)) return 'ndjson';
  if (type === 'text/plain') return 'text';
  return null;
}

/** Every Anthropic event type but `error`: message_ and content_block_ start, delta and stop, and ping. */
const ANTHROPIC_EVENT = /^((message|content_block)_(start|delta|stop)|ping)$/;

/**
 * Every AI SDK UI message stream part type: start, finish, abort, start-step, finish-step,
 * text-/reasoning- start, delta and end, tool-input- start, delta, available and error,
 * tool-output- available, error and denied, tool-approval-request, source-url, source-document,
 * file, message-metadata, and the app's own data-* parts.
 */
const AI_SDK_PART =
  /^((start|finish)(-step)?|abort|(text|reasoning)-(start|delta|end)|tool-input-(start|delta|available|error)|tool-output-(available|error|denied)|tool-approval-request|source-(url|document)|file|message-metadata|data-.*)$/s;

/**
 * Which JSON protocol the first event of a stream belongs to, from its SSE event name and shape.
 * `null` when no rule matches (the caller raises a `StreamProtocolError`).
 */
export function detectProtocolFromEvent(data: unknown, eventName?: string): Exclude<Protocol, 'text' | 'ndjson'> | null {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return null;
  const event = data as Record<string, any>;
  const type: unknown = event.type ?? eventName;
  if (typeof type === 'string') {
    if (ANTHROPIC_EVENT.test(type)) return 'anthropic';
    if (type.startsWith('response.') || type === 'keepalive') return 'openai-responses';
    if (AI_SDK_PART.test(type)) return 'ai-sdk';
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
