import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createFakeModel, createStreamRegistry, handleCancel, handleModelStream, toNodeHandler, type FakeModelScript } from '../../src/server/index';

/** One stream request the server got: its JSON body (`input`, `step`, `messages` in Chat Completions shape). */
export type ToolRequest = { input: string; step: number; messages: { role: string; content?: unknown; tool_call_id?: string; tool_calls?: unknown[] }[] };

/**
 * A real model server on 127.0.0.1 for tool runs: `handleModelStream` over `createFakeModel`, and
 * `handleCancel`. `script(body)` picks the answer from the request body (the history the client
 * sent): e.g. a tool call at step 1, text once the history holds the tool's result.
 */
export async function startToolServer(script: (body: ToolRequest) => FakeModelScript & { intervalMs?: number }) {
  const registry = createStreamRegistry();
  const model = createFakeModel({ intervalMs: 0 });
  const requests: ToolRequest[] = [];
  const stream = toNodeHandler(async (request) => {
    const body = (await request.clone().json()) as ToolRequest;
    requests.push(body);
    const { intervalMs = 0, ...answer } = script(body);
    return handleModelStream(request, { registry, upstream: (signal) => model.stream(signal, { script: answer, intervalMs }) });
  });
  const cancel = toNodeHandler((request) => handleCancel(request, { registry }));
  const server: Server = createServer((req, res) => ((req.url ?? '/').startsWith('/cancel') ? cancel(req, res) : stream(req, res)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await registry.close();
    },
  };
}

/** The tool results in a request's history since its last user message (this run's), by call id. */
export const toolResults = (body: ToolRequest): Record<string, unknown> => {
  const lastUser = body.messages.map((m) => m.role).lastIndexOf('user');
  return Object.fromEntries(body.messages.slice(lastUser + 1).filter((m) => m.role === 'tool').map((m) => [m.tool_call_id, m.content]));
};
