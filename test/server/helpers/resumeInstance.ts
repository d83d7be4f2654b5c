import type { Protocol } from '../../../src/core/types';
import type { FakeModel } from '../../../src/server/fakeModel/createFakeModel';
import { handleCancel } from '../../../src/server/handleCancel';
import { handleModelStream } from '../../../src/server/handleModelStream';
import { handleResume } from '../../../src/server/handleResume';
import type { ResumeOptions } from '../../../src/server/internal/resume/resolveResume';
import { createRedisStreamRegistry, type RedisStreamRegistry, type RedisStreamRegistryOptions } from '../../../src/server/redis';
import { startServer, type TestServer } from './http';

const SSE = new Set<Protocol>(['openai-chat', 'openai-responses', 'anthropic', 'ai-sdk']);

/** One server instance: its own Redis registry (its own connections) and /stream (resume on), /resume, /cancel. */
export type ResumeInstance = { registry: RedisStreamRegistry; server: TestServer; close(): Promise<void> };

export async function resumeInstance(options: RedisStreamRegistryOptions, model: FakeModel, protocol: Protocol, resume: true | ResumeOptions = true): Promise<ResumeInstance> {
  const registry = createRedisStreamRegistry(options);
  await registry.ready();
  const server = await startServer({
    '/stream': (request) => handleModelStream(request, { registry, protocol, resume, upstream: (signal) => model.stream(signal) }),
    '/resume': (request) => handleResume(request, { registry }),
    '/cancel': (request) => handleCancel(request, { registry }),
  });
  return {
    registry,
    server,
    async close() {
      await server.close();
      await registry.close();
    },
  };
}

/** `GET /resume` of `url` for a stream, from `cursor` (none: from the start). */
export const resumeFrom = (url: string, ids: { streamId: string; secret: string }, cursor?: string, init: RequestInit = {}) =>
  fetch(`${url}/resume?streamId=${encodeURIComponent(ids.streamId)}`, {
    headers: { 'x-stream-cancel-secret': ids.secret, ...(cursor !== undefined ? { 'last-event-id': cursor } : {}) },
    ...init,
  });

/** What a client that dropped after `seen` keeps, and its cursor: the last whole event's id (SSE), else the bytes it got. */
export function cursorOf(seen: string, protocol: Protocol): { kept: string; cursor: string } {
  if (!SSE.has(protocol)) return { kept: seen, cursor: String(new TextEncoder().encode(seen).length) };
  const kept = seen.slice(0, seen.lastIndexOf('\n\n') + 2);
  return { kept, cursor: [...kept.matchAll(/^id: (.+)$/gm)].at(-1)![1]! };
}
