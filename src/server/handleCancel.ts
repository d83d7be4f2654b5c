import { allowOriginFor, preflightAnswer, withCors, type CancelCorsOptions } from './internal/cancelCors';
import { readBodyCapped } from './internal/readBodyCapped';
import { CANCEL_SECRET_HEADER, hashSecret, isValidSecret, isValidStreamId, jsonError, jsonResponse } from './internal/validation';
import type { CancelOptions, CancelReport, StreamRegistry } from './types';
import {
  createRateLimiter,
  defaultRateLimitKey,
  rateLimitKeyFor,
  DEFAULT_RATE_LIMIT_MAX,
  DEFAULT_RATE_LIMIT_WINDOW_MS,
  type CancelRateLimitOptions,
  type RateLimiter,
} from './createRateLimiter';

export type HandleCancelOptions = {
  /** The registry the streams were registered in (the same one `handleModelStream` uses). */
  registry: StreamRegistry;
  /**
   * The app's own check (a session, a user id), run after the request is well-formed and before
   * the registry is asked. `false` answers 403 and changes nothing. A hook that throws answers 500.
   */
  authorize?: (request: Request, streamId: string) => boolean | Promise<boolean>;
  /**
   * Limits **failed** cancel attempts (answers `403` and `404`) per client key. Successful cancels
   * are never counted. Default on: 30 failures per minute per key.
   *
   * Over the limit, a cancel with the right secret still cancels (a right secret is never refused
   * because of other clients' failures, e.g. on a shared proxy address); every failure answers
   * `429` with `Retry-After` (seconds) instead of `403`/`404`, so an over-limit client learns
   * nothing, and no tombstone is left for an unknown id.
   *
   * The key comes only from what the app trusts: `key`, else `trustProxy` (how many proxies in
   * front append to `x-forwarded-for`), else the socket's address when `toNodeHandler` built the
   * request and it is a public one (a loopback or private peer is most likely your own proxy), else
   * none: a request without a key is not limited. Never a client-written header by default (see
   * `defaultRateLimitKey`).
   * - omitted or an options object: a limiter kept per `registry` (in a module-level `WeakMap`), so it
   *   survives across requests even though the options object is created on every call;
   * - a limiter from `createRateLimiter`: that one (share it between routes, or set `maxKeys`);
   * - `false`: off (e.g. when the platform or a gateway limits already).
   *
   * @example
   * ```ts
   * handleCancel(request, { registry, rateLimit: { trustProxy: 1 } }); // behind one reverse proxy
   * handleCancel(request, { registry, rateLimit: { key: (req) => req.headers.get('cf-connecting-ip') } }); // Cloudflare
   * ```
   */
  rateLimit?: false | CancelRateLimitOptions | RateLimiter;
  /**
   * How long the request body may take to arrive, in milliseconds, from the moment the handler
   * starts reading it (so the wait for its first byte counts too) to its last byte. Default 5000.
   * A body that does not arrive in time (a client that sends a few bytes and stalls, or none) is
   * answered `408` with a JSON error and `Connection: close`, so the connection is released rather
   * than held until the server's own request timeout (300 s in Node). A cancel body is about 60
   * bytes, sent with the headers; the client gives up on its cancel after `cancelTimeoutMs` (3 s)
   * anyway. `Infinity`: no bound.
   *
   * @example
   * ```ts
   * handleCancel(request, { registry, bodyTimeoutMs: 2_000 });
   * ```
   */
  bodyTimeoutMs?: number;
  /**
   * Lets pages on other origins call this endpoint (a cancel endpoint on its own host). Without it
   * the endpoint sends no CORS headers and answers `OPTIONS` with 405: same-origin only.
   * See {@link CancelCorsOptions}.
   */
  cors?: CancelCorsOptions;
};

export type { CancelCorsOptions };

/** Default limiters, per registry and per `max`/`windowMs`. No timers; freed with the registry. */
const limitersByRegistry = new WeakMap<StreamRegistry, Map<string, RateLimiter>>();
/** Distinct `max`/`windowMs` pairs kept per registry (apps use one or two). */
const MAX_LIMITER_CONFIGS = 8;

function isRateLimiter(value: CancelRateLimitOptions | RateLimiter): value is RateLimiter {
  return typeof (value as RateLimiter).hit === 'function' && typeof (value as RateLimiter).refund === 'function';
}

function limiterFor(registry: StreamRegistry, rateLimit: CancelRateLimitOptions | RateLimiter | undefined): { limiter: RateLimiter; key: (request: Request) => string | null } {
  if (rateLimit && isRateLimiter(rateLimit)) return { limiter: rateLimit, key: rateLimit.key ?? ((request) => defaultRateLimitKey(request)) };
  const max = rateLimit?.max ?? DEFAULT_RATE_LIMIT_MAX;
  const windowMs = rateLimit?.windowMs ?? DEFAULT_RATE_LIMIT_WINDOW_MS;
  let byConfig = limitersByRegistry.get(registry);
  if (!byConfig) limitersByRegistry.set(registry, (byConfig = new Map()));
  const config = `${max}/${windowMs}`;
  let limiter = byConfig.get(config);
  if (!limiter) {
    if (byConfig.size >= MAX_LIMITER_CONFIGS) byConfig.delete(byConfig.keys().next().value!);
    limiter = createRateLimiter({ max, windowMs });
    byConfig.set(config, limiter);
  }
  return { limiter, key: rateLimit?.key ?? keyForTrustProxy(rateLimit?.trustProxy) };
}

/** The default key for a `trustProxy` setting; a bad setting fails when a request is keyed (500). */
function keyForTrustProxy(trustProxy: CancelRateLimitOptions['trustProxy']): (request: Request) => string | null {
  if (trustProxy === undefined || trustProxy === false) return (request) => defaultRateLimitKey(request);
  try {
    return rateLimitKeyFor(trustProxy);
  } catch (error) {
    return () => {
      throw error;
    };
  }
}

/** Largest cancel body read, in bytes. `{"streamId":"<128 chars>"}` is about 150. */
export const MAX_CANCEL_BODY_BYTES = 4096;

/** `bodyTimeoutMs` by default: how long a cancel body may take to arrive. */
export const DEFAULT_CANCEL_BODY_TIMEOUT_MS = 5000;

/**
 * The cancel endpoint: `POST` with JSON `{ "streamId": "…" }` and header `x-stream-cancel-secret`.
 * Stops the stream served by `handleModelStream` (on this instance, or on another through a shared
 * registry) so the provider stops generating.
 *
 * Answers (all JSON; errors are `{ "error": "<message>" }`; CORS headers only with `cors`):
 * - `200 {"status":"cancelled","usage":{inputTokens,outputTokens}|null,"usageEstimated":bool}`, plus
 *   `"upstreamCancelled":bool` when the stream's `handleModelStream` has `cancelUpstream` (the
 *   answer waits for it, at most `cancelUpstreamTimeoutMs`).
 * - `404 {"status":"pending","error":…}` when no stream has this id yet: a short-lived tombstone
 *   cancels it the moment it registers with the same secret (see the README).
 * - `200 {"status":"already-finished"}` when the stream ended before the cancel.
 * - `404` unknown id (without `status: 'pending'` when the registry keeps no tombstones), `403` wrong or missing secret
 *   (compared in constant time) or refused by `authorize`, `400` a body that is not JSON
 *   `{streamId}` with a valid id or a content type other than `application/json`, `405` not a
 *   `POST` (with `Allow: POST`), `413` a body over 4 KB, `408` a body that did not arrive within
 *   `bodyTimeoutMs` (with `Connection: close`), `503` the registry failed (or, with
 *   `{"status":"full"}` and `Retry-After`, it holds as many early cancels as it may), `504` the
 *   instance serving the stream did not confirm in time, `429` too many failed attempts from this
 *   client's key (`Retry-After` in seconds; see `rateLimit`): every `403`/`404` of an over-limit
 *   key is answered `429`, while the right secret still cancels.
 *
 * @example
 * ```ts
 * // app/api/chat/cancel/route.ts (Next.js)
 * import { handleCancel } from 'react-model-stream/server';
 * import { registry } from '../../registry';
 *
 * export function POST(request: Request) {
 *   return handleCancel(request, {
 *     registry,
 *     authorize: async (req, streamId) => (await getSession(req)) !== null,
 *   });
 * }
 * ```
 */
export async function handleCancel(request: Request, options: HandleCancelOptions): Promise<Response> {
  const { cors } = options;
  if (!cors) return answerCancel(request, options);
  const allowOrigin = allowOriginFor(cors, request.headers.get('origin'));
  if (request.method === 'OPTIONS') return preflightAnswer(request, cors, allowOrigin);
  let response: Response;
  try {
    response = await answerCancel(request, options);
  } catch {
    // Readable by the page (with CORS headers) rather than a bare network error.
    response = jsonError(500, 'The cancel endpoint failed; the stream was not cancelled.');
  }
  return withCors(response, cors, allowOrigin);
}

async function answerCancel(request: Request, options: HandleCancelOptions): Promise<Response> {
  const { registry } = options;
  if (request.method !== 'POST') {
    return jsonError(405, `The cancel endpoint accepts only POST, not ${request.method}.`, { allow: 'POST' });
  }
  const contentType = request.headers.get('content-type');
  const mediaType = contentType?.split(';', 1)[0]!.trim().toLowerCase();
  if (mediaType !== 'application/json') {
    request.body?.cancel().catch(() => {});
    return jsonError(400, 'The cancel request must have content-type application/json and the body {"streamId": "…"}.');
  }
  const bodyTimeoutMs = options.bodyTimeoutMs ?? DEFAULT_CANCEL_BODY_TIMEOUT_MS;
  if (typeof bodyTimeoutMs !== 'number' || !(bodyTimeoutMs > 0)) {
    request.body?.cancel().catch(() => {});
    return jsonError(500, `handleCancel: bodyTimeoutMs must be a number of milliseconds > 0, not ${String(bodyTimeoutMs)}; the stream was not cancelled.`);
  }
  const body = await readBodyCapped(request, MAX_CANCEL_BODY_BYTES, bodyTimeoutMs);
  if (!body.ok) {
    if (body.reason === 'timeout') {
      // The rest of the body may never come: the connection cannot serve another request.
      return jsonError(408, `The cancel request body did not arrive within ${bodyTimeoutMs} ms; send {"streamId": "…"} with the request.`, { connection: 'close' });
    }
    return body.reason === 'too-large'
      ? jsonError(413, `The cancel request body is larger than ${MAX_CANCEL_BODY_BYTES} bytes; send only {"streamId": "…"}.`)
      : jsonError(400, 'The cancel request body could not be read as UTF-8 text.');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.text);
  } catch {
    return jsonError(400, 'The cancel request body is not valid JSON; send {"streamId": "…"}.');
  }
  const streamId = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as { streamId?: unknown }).streamId : undefined;
  if (typeof streamId !== 'string') {
    return jsonError(400, 'The cancel request body must be a JSON object with a string "streamId".');
  }
  if (!isValidStreamId(streamId)) {
    return jsonError(400, 'Invalid "streamId": use 1–128 characters of A–Z, a–z, 0–9, "_" and "-".');
  }
  if (options.rateLimit === false) return checkAndCancel(request, streamId, options);
  const { limiter, key: keyOf } = limiterFor(registry, options.rateLimit);
  let key: string | null;
  try {
    key = keyOf(request);
  } catch {
    return jsonError(500, 'The rate limit key function failed; the stream was not cancelled.');
  }
  // No key (no client address): not limited. One budget shared by every client would let a single
  // client's wrong guesses block every user's Stop; the secret's 256 bits keep guessing pointless.
  if (key === null) return checkAndCancel(request, streamId, options);
  const waitMs = limiter.hit(key);
  if (waitMs > 0) {
    // Over the limit, but the key may be shared (a proxy, a NAT) and a guesser's failures must not
    // block an honest user's Stop: the right secret still cancels. No tombstone for an unknown id
    // (an over-limit client cannot fill the registry), and every failure looks the same (429), so
    // this client learns nothing about ids or secrets. Server faults (5xx) keep their answers.
    const response = await checkAndCancel(request, streamId, options, { tombstone: false });
    if (response.status !== 403 && response.status !== 404) return response;
    response.body?.cancel().catch(() => {});
    const seconds = Math.max(1, Math.ceil(waitMs / 1000));
    return jsonError(429, `Too many failed cancel attempts; try again in ${seconds} s.`, { 'retry-after': String(seconds) });
  }
  // Counted up front (parallel guesses cannot all pass); taken back unless the attempt failed.
  let response: Response | undefined;
  try {
    response = await checkAndCancel(request, streamId, options);
    return response;
  } finally {
    if (response?.status !== 403 && response?.status !== 404) limiter.refund(key);
  }
}

/** The `200 cancelled` answer's body; `upstreamCancelled` only when the stream's `cancelUpstream` ran. */
function cancelledBody(report: CancelReport): Record<string, unknown> {
  const body: Record<string, unknown> = { status: 'cancelled', usage: report.usage, usageEstimated: report.usageEstimated };
  if (typeof report.upstreamCancelled === 'boolean') body.upstreamCancelled = report.upstreamCancelled;
  return body;
}

/** The secret, `authorize` and the registry: a `403`/`404` from here is a failed attempt. */
async function checkAndCancel(request: Request, streamId: string, options: HandleCancelOptions, cancelOptions?: CancelOptions): Promise<Response> {
  const { registry, authorize } = options;
  const secret = request.headers.get(CANCEL_SECRET_HEADER);
  if (secret === null) {
    return jsonError(403, `Missing ${CANCEL_SECRET_HEADER} header: send the secret the stream was started with.`);
  }
  if (!isValidSecret(secret)) {
    return jsonError(403, `The ${CANCEL_SECRET_HEADER} header does not match this stream.`);
  }
  if (authorize) {
    let allowed: boolean;
    try {
      allowed = (await authorize(request, streamId)) === true;
    } catch {
      return jsonError(500, 'The authorize hook failed; the stream was not cancelled.');
    }
    if (!allowed) return jsonError(403, 'This cancel was refused by the app (authorize).');
  }
  const secretHash = await hashSecret(secret);
  let result;
  try {
    result = await (cancelOptions ? registry.cancel(streamId, secretHash, cancelOptions) : registry.cancel(streamId, secretHash));
  } catch {
    return jsonError(503, 'The stream registry is unavailable; the stream was not cancelled. Try again.');
  }
  switch (result.status) {
    case 'cancelled':
      // No stream with this id yet: to the caller it is unknown (404), but the tombstone left by
      // the registry cancels it the moment it starts, so `status: 'pending'` says so.
      if (result.pending) {
        return jsonResponse(404, {
          status: 'pending',
          error: 'No stream with this id is running yet; if it starts within a few seconds with this secret, it is cancelled at once.',
        });
      }
      return jsonResponse(200, cancelledBody(result.report));
    case 'already-finished':
      return jsonResponse(200, { status: 'already-finished' });
    case 'not-found':
      return jsonError(404, 'No stream with this id is running (it may never have started, or finished over a minute ago).');
    case 'forbidden':
      return jsonError(403, `The ${CANCEL_SECRET_HEADER} header does not match this stream.`);
    case 'full':
      return jsonResponse(
        503,
        { status: 'full', error: 'No stream with this id is running, and too many cancels are already waiting for streams that have not started: this one was not recorded. Try again.' },
        { 'retry-after': '1' },
      );
    case 'unavailable':
      return jsonError(504, 'The server instance streaming this id did not confirm the cancel in time; it may have stopped.');
  }
}
