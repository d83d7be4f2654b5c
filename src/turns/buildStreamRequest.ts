import type { RequestBodyContext, TurnOptions } from './types';

/** The headers and body of a turn's stream request. */
export type StreamRequest = { headers: Headers; body: BodyInit | null };

/** The body without a `body` option: the input, the conversation's id and its text history. */
export function defaultBody(input: unknown, context: RequestBodyContext): Record<string, unknown> {
  return {
    input,
    conversationId: context.conversationId,
    // A turn with no text (an answer stopped before its first word) is not history a model can use.
    messages: context.messages.filter((m) => m.text !== '').map((m) => ({ role: m.role, content: m.text })),
  };
}

/**
 * The stream request from the app's `headers` (or function) and `body` builder: a plain object
 * is sent as JSON (with a JSON content type unless the app set one), anything else as the
 * `BodyInit` it is. Throws what the app's code throws (and a body `JSON.stringify` refuses): the
 * caller ends that turn as an error.
 */
export function buildStreamRequest<Input>(options: Pick<TurnOptions<Input>, 'headers' | 'body'>, input: Input, context: RequestBodyContext): StreamRequest {
  const headers = new Headers(typeof options.headers === 'function' ? options.headers() : options.headers);
  const built = (options.body ?? defaultBody)(input, context);
  // A plain object (`null` and `undefined` read as `0`, whose prototype is not Object's).
  const isJson = Object.getPrototypeOf(built ?? 0) === Object.prototype;
  if (isJson && !headers.has('content-type')) headers.set('content-type', 'application/json');
  return { headers, body: isJson ? JSON.stringify(built) : (built as BodyInit | null) };
}
