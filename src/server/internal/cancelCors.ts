import { CANCEL_SECRET_HEADER, jsonError } from './validation';

/**
 * CORS for the cancel endpoint. A cancel is a JSON `POST` with a custom header, so browsers send
 * a preflight `OPTIONS` first; with `cors`, it is answered `204` (allowed origin) or `403`.
 * Every answer to an allowed origin carries `Access-Control-Allow-Origin` (and exposes
 * `Retry-After`); every answer carries `Vary: Origin`. CORS is not access control: the stream's
 * secret still decides whether a cancel works.
 *
 * @example
 * ```ts
 * handleCancel(request, { registry, cors: { origin: ['https://app.example.com'], maxAgeSeconds: 600 } });
 * ```
 */
export type CancelCorsOptions = {
  /** The page origins allowed (`'https://app.example.com'`), a list, a predicate, or `'*'` for any. */
  origin: string | readonly string[] | ((origin: string) => boolean);
  /** Send `Access-Control-Allow-Credentials: true` (for cancels sent with cookies). Not with `'*'`. */
  credentials?: boolean;
  /** How long browsers may cache the preflight answer. Default 600 s. */
  maxAgeSeconds?: number;
};

const CORS_ALLOWED_HEADERS = ['content-type', CANCEL_SECRET_HEADER];

/** The `Access-Control-Allow-Origin` value for `origin`, or `null` when it is not allowed. */
export function allowOriginFor(cors: CancelCorsOptions, origin: string | null): string | null {
  if (origin === null) return null;
  const allowed = cors.origin;
  // With credentials `*` is refused by browsers, so the origin is echoed; but never the opaque
  // `null` origin (sandboxed frames, file: pages) with credentials.
  if (allowed === '*') return cors.credentials ? (origin === 'null' ? null : origin) : '*';
  if (typeof allowed === 'string') return allowed === origin ? origin : null;
  if (typeof allowed === 'function') {
    try {
      return allowed(origin) === true ? origin : null;
    } catch {
      return null;
    }
  }
  return allowed.includes(origin) ? origin : null;
}

/** `response` with the CORS headers for `allowOrigin` (and `Vary: Origin`) added. */
export function withCors(response: Response, cors: CancelCorsOptions, allowOrigin: string | null, extra?: Record<string, string>): Response {
  const headers = new Headers(response.headers);
  headers.append('vary', 'origin');
  if (allowOrigin !== null) {
    headers.set('access-control-allow-origin', allowOrigin);
    headers.set('access-control-expose-headers', 'retry-after');
    if (cors.credentials) headers.set('access-control-allow-credentials', 'true');
    for (const [name, value] of Object.entries(extra ?? {})) headers.set(name, value);
  }
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

/**
 * The answer to a browser's CORS preflight (`OPTIONS`): `204` with the allowed method, headers and
 * cache time for an allowed origin, `403` without CORS headers for any other (the browser then never
 * sends the `POST`).
 */
export function preflightAnswer(request: Request, cors: CancelCorsOptions, allowOrigin: string | null): Response {
  // The preflight: an origin not allowed gets no CORS headers, so the browser never sends the POST.
  if (allowOrigin === null) return withCors(jsonError(403, 'This origin may not call the cancel endpoint (cors).'), cors, null);
  // The headers the page's cancel will carry: the secret and content type, plus whatever the app
  // sends with its requests (`authorization` for `authorize`, …), which useModelStream passes on.
  // Echoed: CORS is not what protects a cancel, the secret is.
  const requested = (request.headers.get('access-control-request-headers') ?? '').split(',').map((name) => name.trim().toLowerCase());
  const allowHeaders = new Set([...CORS_ALLOWED_HEADERS, ...requested.filter(Boolean)]);
  const preflight = withCors(new Response(null, { status: 204 }), cors, allowOrigin, {
    'access-control-allow-methods': 'POST',
    'access-control-allow-headers': [...allowHeaders].join(', '),
    'access-control-max-age': String(cors.maxAgeSeconds ?? 600),
  });
  preflight.headers.append('vary', 'access-control-request-headers');
  return preflight;
}