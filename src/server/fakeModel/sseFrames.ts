// The two SSE frames the encoders write: a data-only event (OpenAI Chat, AI SDK) and a named
// event whose JSON repeats its name as `type` (Anthropic, OpenAI Responses).

/** A data-only SSE event carrying `json`. */
export const sseData = (json: unknown): string => `data: ${JSON.stringify(json)}\n\n`;

/** A named SSE event; its data is `{ type, ...json }`, as Anthropic and OpenAI Responses send. */
export const sseEvent = (type: string, json: Record<string, unknown>): string => `event: ${type}\ndata: ${JSON.stringify({ type, ...json })}\n\n`;
