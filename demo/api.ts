// The demo's back end: /api/chat and /api/chat/cancel made of the library's server helpers over the
// embedded fake model (or a real provider when OPENAI_API_KEY / ANTHROPIC_API_KEY is set).
// Loaded by demo/server.mjs through Vite, so it runs the TypeScript sources directly.
import { createFakeModel, type FakeModelRun } from '../src/server/fakeModel/createFakeModel';
import { createStreamRegistry, handleCancel, handleModelStream } from '../src/server/index';
import { PROTOCOLS, type Protocol } from '../src/core/types';

export type DemoLogEntry = { at: number; what: string; streamId?: string };

const registry = createStreamRegistry();
const model = createFakeModel({ protocol: 'ai-sdk', tokensPerSecond: 50 });
const log: DemoLogEntry[] = [];
/** stream id → fake-model run, so a figure can say how many tokens came after the cancel. */
const runsByStream = new Map<string, FakeModelRun>();
const cancelArrivedAt = new Map<string, number>();

function record(what: string, streamId?: string) {
  log.push({ at: performance.now(), what, streamId });
  if (log.length > 2000) log.splice(0, log.length - 2000);
  console.log(`[demo] ${what}${streamId ? ` ${streamId.slice(0, 8)}` : ''}`);
}

type ChatBody = { input?: unknown; messages?: { role: string; content: string }[]; protocol?: string; tokensPerSecond?: number };

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
  record(`request ${protocol}`, streamId);
  const response = await handleModelStream(request, {
    registry,
    upstream: (signal) => {
      signal.addEventListener('abort', () => record('upstream aborted', streamId), { once: true });
      const real = realProvider(body, signal);
      if (real) return real;
      const tokensPerSecond = typeof body.tokensPerSecond === 'number' ? body.tokensPerSecond : undefined;
      const upstream = model.stream(signal, { protocol, tokensPerSecond });
      if (streamId) runsByStream.set(streamId, model.runs[model.runs.length - 1]!);
      return upstream;
    },
  });
  return response;
}

export async function cancel(request: Request): Promise<Response> {
  let streamId: string | undefined;
  try {
    streamId = ((await request.clone().json()) as { streamId?: string }).streamId;
  } catch {
    // handleCancel answers 400
  }
  if (streamId) cancelArrivedAt.set(streamId, performance.now());
  record('cancel arrived', streamId);
  const response = await handleCancel(request, { registry });
  record(`cancel answered ${response.status}`, streamId);
  return response;
}

/** For the e2e tests and the curious: the server log and, per stream, tokens generated after its cancel arrived. */
export function debug(): unknown {
  const streams = [...runsByStream.entries()].slice(-50).map(([streamId, run]) => {
    const arrived = cancelArrivedAt.get(streamId) ?? null;
    return {
      streamId,
      protocol: run.protocol,
      tokens: run.tokens,
      finished: run.finished,
      cancelArrivedAt: arrived,
      upstreamAbortedAt: run.abortedAt,
      tokensAfterCancel: arrived === null ? null : run.tokenTimes.filter((t) => t > arrived).length,
    };
  });
  return { log: log.slice(-200), streams, registrySize: registry.size() };
}

export function closeApi() {
  registry.close?.();
}
