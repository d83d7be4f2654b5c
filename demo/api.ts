// The demo's back end: /api/chat and /api/chat/cancel made of the library's server helpers over the
// embedded fake model (or a real provider when OPENAI_API_KEY / ANTHROPIC_API_KEY is set).
// Loaded by demo/server.mjs through Vite, so it runs the TypeScript sources directly.
import { PROTOCOLS, type Protocol } from '../src/core/index';
import { createFakeModel, createStreamRegistry, createToolLoopScript, readToolHistory, TOOL_LOOP_FAKE_STEPS, handleCancel, handleModelStream, handleResume, type CancelCorsOptions, type FakeModelRun, type StreamRegistry } from '../src/server/index';
import { createRedisStreamRegistry } from '../src/server/redis/index';

/**
 * One line of the server log. `at` is the server's `performance.now()`; `t` is the same instant as
 * epoch milliseconds (`performance.timeOrigin + at`), comparable with a browser's
 * `performance.timeOrigin + performance.now()` on the same machine.
 */
export type DemoLogEntry = { at: number; t: number; what: string; streamId?: string };

/** What the server knows about one stream, for /api/debug. Times are epoch milliseconds (see `DemoLogEntry.t`). */
type StreamInfo = {
  requestAt: number;
  protocol: Protocol;
  run: FakeModelRun | null;
  cancelArrivedAt: number | null;
  cancelStatus: number | null;
  closedAt: number | null;
  /** `complete`: the response was sent to its end; `client`: the client closed the connection before that. */
  closedBy: 'complete' | 'client' | null;
};

/**
 * The registry: in memory (one process), or Redis when `REDIS_URL` is set, so that several demo
 * instances share their streams: a stream running on one is resumed and stopped through another
 * (the e2e tests run two on one `redis-server`).
 */
const registry: StreamRegistry = process.env.REDIS_URL
  ? createRedisStreamRegistry({ url: process.env.REDIS_URL, keyPrefix: process.env.REDIS_PREFIX ?? 'rms-demo:' })
  : createStreamRegistry();
/**
 * What a second server instance (or an Edge isolate) with its own in-memory registry knows: no
 * stream of this process. `?registry=unshared` on the page sends its cancels here, to show the
 * client telling the truth: "server did not confirm", with the likely cause.
 */
const unsharedRegistry = createStreamRegistry();
const model = createFakeModel({ protocol: 'ai-sdk', tokensPerSecond: 50 });
const log: DemoLogEntry[] = [];
const streams = new Map<string, StreamInfo>();
const quiet = process.env.DEMO_QUIET === '1';

/** A number of milliseconds from the environment, or `undefined` (the library's default). */
function envMs(name: string): number | undefined {
  const value = Number(process.env[name]);
  return process.env[name] && Number.isFinite(value) && value > 0 ? value : undefined;
}

/**
 * The resume log's bounds (docs/resume.md, "The bounds"): `detachedMs` 30 s unless
 * `DEMO_RESUME_DETACHED_MS` says otherwise, `ttlMs` the library's default (5 min) unless
 * `DEMO_RESUME_TTL_MS` does. The e2e tests shorten both to see a log expire.
 */
const resumeTtlMs = envMs('DEMO_RESUME_TTL_MS');
const resumeOptions = { detachedMs: envMs('DEMO_RESUME_DETACHED_MS') ?? 30_000, ...(resumeTtlMs === undefined ? {} : { ttlMs: resumeTtlMs }) };

const epoch = (perfNow: number) => performance.timeOrigin + perfNow;

/** Appends to the server log (and prints it unless DEMO_QUIET=1). */
export function record(what: string, streamId?: string) {
  const at = performance.now();
  log.push({ at, t: epoch(at), what, streamId });
  if (log.length > 2000) log.splice(0, log.length - 2000);
  if (!quiet) console.log(`[demo] ${what}${streamId ? ` ${streamId.slice(0, 8)}` : ''}`);
}

function remember(streamId: string, info: StreamInfo) {
  streams.set(streamId, info);
  // Bounded: a demo left running for days must not grow without end.
  if (streams.size > 200) streams.delete(streams.keys().next().value!);
}

/**
 * Called by demo/server.mjs when the HTTP response of a stream closes: `complete` when it was sent to
 * its end (the model finished, or the cancel ended it), `client` when the browser closed the
 * connection first (Stop's local abort, a reload, a closed tab).
 */
export function connectionClosed(streamId: string | undefined, closedBy: 'complete' | 'client') {
  record(closedBy === 'complete' ? 'stream response ended' : 'stream connection closed by the client', streamId);
  const info = streamId ? streams.get(streamId) : undefined;
  if (info && info.closedAt === null) {
    info.closedAt = epoch(performance.now());
    info.closedBy = closedBy;
  }
}

type ChatBody = { input?: unknown; messages?: { role: string; content: string }[]; protocol?: string; tokensPerSecond?: number; resume?: boolean };

/** Proxies a real provider when a key is set (documented in the README; tested only against the fake). */
function realProvider(body: ChatBody, signal: AbortSignal): Promise<Response> | null {
  const messages = [...(body.messages ?? []), { role: 'user', content: String(body.input ?? '') }];
  if (process.env.OPENAI_API_KEY) {
    return fetch('https://api.openai.com/v1/chat/completions', {
      method: 'POST',
      signal,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${process.env.OPENAI_API_KEY}` },
      body: JSON.stringify({ model: process.env.OPENAI_MODEL ?? 'gpt-4.1-mini', stream: true, stream_options: { include_usage: true }, messages }),
    });
  }
  if (process.env.ANTHROPIC_API_KEY) {
    return fetch('https://api.anthropic.com/v1/messages', {
      method: 'POST',
      signal,
      headers: { 'content-type': 'application/json', 'x-api-key': process.env.ANTHROPIC_API_KEY, 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: process.env.ANTHROPIC_MODEL ?? 'claude-sonnet-4-5', max_tokens: 1024, stream: true, messages }),
    });
  }
  return null;
}

export async function chat(request: Request): Promise<Response> {
  const streamId = request.headers.get('x-stream-id') ?? undefined;
  let body: ChatBody = {};
  try {
    body = (await request.clone().json()) as ChatBody;
  } catch {
    // handled by the defaults below
  }
  const protocol: Protocol = PROTOCOLS.includes(body.protocol as Protocol) ? (body.protocol as Protocol) : 'ai-sdk';
  const info: StreamInfo = { requestAt: epoch(performance.now()), protocol, run: null, cancelArrivedAt: null, cancelStatus: null, closedAt: null, closedBy: null };
  if (streamId) remember(streamId, info);
  record(`request ${protocol}`, streamId);
  return handleModelStream(request, {
    registry,
    // The page asks for resume (its default; `?resume=0` turns it off): the stream's output is
    // logged, and a dropped connection or a reload resumes through /api/chat/resume.
    resume: body.resume === true ? resumeOptions : false,
    upstream: (signal) => {
      signal.addEventListener('abort', () => record('upstream aborted', streamId), { once: true });
      const real = realProvider(body, signal);
      if (real) return real;
      const tokensPerSecond = typeof body.tokensPerSecond === 'number' ? body.tokensPerSecond : undefined;
      const upstream = model.stream(signal, { protocol, tokensPerSecond });
      info.run = model.runs[model.runs.length - 1]!;
      return upstream;
    },
  });
}

/** One request of the tool run (POST /api/tools/chat), as the server read it: for /api/debug and the e2e tests. */
type ToolRequestInfo = { streamId: string | undefined; step: number; results: { name: string | undefined; output: string }[]; at: number };
const toolRequests: ToolRequestInfo[] = [];
/** The fake model's answers for the tool run: step 1 calls the tools, step 2 answers with their results. */
const toolLoopAnswer = createToolLoopScript(TOOL_LOOP_FAKE_STEPS);

/**
 * POST /api/tools/chat: one step of the demo's tool run (docs/tools.md). The fake model reads the
 * history the page sent (`toModelMessages` output, in any of the three shapes) to know the step and
 * the tool results, as a real model would; the stream is registered like /api/chat's, so the same
 * cancel endpoint stops it.
 */
export async function toolChat(request: Request): Promise<Response> {
  const streamId = request.headers.get('x-stream-id') ?? undefined;
  let body: { protocol?: string; tokensPerSecond?: number } = {};
  try {
    body = (await request.clone().json()) as typeof body;
  } catch {
    // an empty history: step 1
  }
  const protocol: Protocol = PROTOCOLS.includes(body.protocol as Protocol) ? (body.protocol as Protocol) : 'ai-sdk';
  const { step, results } = readToolHistory(body);
  toolRequests.push({ streamId, step, results: results.map(({ name, output }) => ({ name, output })), at: epoch(performance.now()) });
  if (toolRequests.length > 200) toolRequests.shift();
  const info: StreamInfo = { requestAt: epoch(performance.now()), protocol, run: null, cancelArrivedAt: null, cancelStatus: null, closedAt: null, closedBy: null };
  if (streamId) remember(streamId, info);
  record(`tool run step ${step} request ${protocol} (${results.length} tool results)`, streamId);
  const script = toolLoopAnswer(body);
  const tokensPerSecond = typeof body.tokensPerSecond === 'number' ? body.tokensPerSecond : undefined;
  return handleModelStream(request, {
    registry,
    upstream: (signal) => {
      signal.addEventListener('abort', () => record('upstream aborted', streamId), { once: true });
      const upstream = model.stream(signal, { protocol, tokensPerSecond, script });
      info.run = model.runs[model.runs.length - 1]!;
      return upstream;
    },
  });
}

/** GET /api/chat/resume?streamId=…: the rest of a stream whose connection dropped (docs/resume.md). */
export async function resume(request: Request): Promise<Response> {
  const streamId = new URL(request.url).searchParams.get('streamId') ?? undefined;
  record(`resume from ${request.headers.get('last-event-id') ?? 'the start'}`, streamId);
  const response = await handleResume(request, { registry });
  record(`resume answered ${response.status}`, streamId);
  return response;
}

export async function cancel(request: Request, cors?: CancelCorsOptions): Promise<Response> {
  const unshared = new URL(request.url).searchParams.get('registry') === 'unshared';
  const options = { registry: unshared ? unsharedRegistry : registry, ...(cors ? { cors } : {}) };
  // A browser's CORS preflight (second origin) is not a cancel: answered, not logged.
  if (request.method === 'OPTIONS') return handleCancel(request, options);
  let streamId: string | undefined;
  try {
    streamId = ((await request.clone().json()) as { streamId?: string }).streamId;
  } catch {
    // handleCancel answers 400
  }
  const info = typeof streamId === 'string' ? streams.get(streamId) : undefined;
  if (info && info.cancelArrivedAt === null) info.cancelArrivedAt = epoch(performance.now());
  record(unshared ? 'cancel arrived (unshared registry)' : 'cancel arrived', streamId);
  const response = await handleCancel(request, options);
  if (info && info.cancelStatus === null) info.cancelStatus = response.status;
  record(`cancel answered ${response.status}`, streamId);
  return response;
}

/**
 * For the e2e tests and the curious: the server log and, per stream, when its request, cancel and
 * connection close reached the server, the fake model's token times, and how many tokens it
 * generated after the cancel arrived (0 when the cancel stops the model at once).
 */
export function debug(): unknown {
  const list = [...streams.entries()].slice(-50).map(([streamId, info]) => {
    const run = info.run;
    // The model's token times and abort time are `performance.now()` of this process.
    const tokenTimes = run ? run.tokenTimes.map(epoch) : [];
    return {
      streamId,
      protocol: info.protocol,
      requestAt: info.requestAt,
      tokens: run?.tokens ?? 0,
      finished: run?.finished ?? false,
      tokenTimes,
      cancelArrivedAt: info.cancelArrivedAt,
      cancelStatus: info.cancelStatus,
      upstreamAbortedAt: run?.abortedAt == null ? null : epoch(run.abortedAt),
      closedAt: info.closedAt,
      closedBy: info.closedBy,
      tokensAfterCancel: info.cancelArrivedAt === null ? null : tokenTimes.filter((t) => t > info.cancelArrivedAt!).length,
    };
  });
  return { log: log.slice(-300), streams: list, toolRequests, registrySize: registry.size() };
}

export function closeApi() {
  void registry.close();
  unsharedRegistry.close?.();
}
