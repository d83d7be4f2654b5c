/** Provider-like error bodies, by HTTP status. */
const HTTP_ERROR_BODIES: Record<number, unknown> = {
  400: { error: { message: 'Invalid request (mock).', type: 'invalid_request_error' } },
  401: { error: { message: 'Incorrect API key provided (mock).', type: 'authentication_error' } },
  429: { error: { message: 'Rate limit reached for requests. Please try again in 20s (mock).', type: 'rate_limit_error' } },
  500: { error: { message: 'The model server had an internal error (mock).', type: 'server_error' } },
  503: { error: { message: 'The model is overloaded. Please try again later (mock).', type: 'overloaded_error' } },
};

/** A JSON answer (a string body is sent as is). */
export function answer(status: number, body: unknown, headers?: Record<string, string>): Response {
  const text = typeof body === 'string' ? body : JSON.stringify(body ?? { error: { message: `HTTP ${status} (mock).` } });
  return new Response(text, { status, headers: { 'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json', ...headers } });
}

/** An HTTP error: `body` if given, else a provider-like error body for `status`. */
export function errorAnswer(status: number, body?: unknown, headers?: Record<string, string>): Response {
  return answer(status, body ?? HTTP_ERROR_BODIES[status], headers);
}
