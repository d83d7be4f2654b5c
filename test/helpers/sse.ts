/**
 * The SSE framing the tests write by hand, in one place. `part` is one AI SDK UI message stream part
 * as an SSE event: `data: <json>\n\n`, the bytes `handleModelStream` and the AI SDK send. The fake
 * model's wire encoder (src/server/fakeModel) frames whole provider streams from a script; the tests
 * need single, arbitrary parts (out of order, malformed, split across writes), so they frame them here.
 */
export const part = (value: unknown): string => `data: ${JSON.stringify(value)}\n\n`;

/** Response headers of an SSE stream. */
export const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' } as const;
