import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createFakeModel, type FakeModel, type FakeModelOptions } from '../../../src/server/fakeModel/createFakeModel';
import { toNodeHandler } from '../../../src/server/toNodeHandler';

/**
 * A provider with background responses on a real node:http server of 127.0.0.1, like OpenAI's
 * `background: true`: `POST /v1/responses` streams an answer of the `detached` fake model (closing
 * the connection does not stop it), `POST /v1/responses/{id}/cancel` stops it (`200`, or `404` for
 * an id that is not generating).
 */
export type BackgroundProvider = {
  url: string;
  model: FakeModel;
  /** Cancel requests received, by response id. */
  cancels: string[];
  /** `fetch` of `POST /v1/responses` with `signal`: what `upstream` calls. */
  respond(signal: AbortSignal): Promise<Response>;
  /** `POST /v1/responses/{id}/cancel`: what `cancelUpstream` calls; throws on a non-2xx. */
  cancel(responseId: string | null): Promise<void>;
  /** Stops every run still generating, and the server. */
  close(): Promise<void>;
};

export async function startBackgroundProvider(options: FakeModelOptions = {}): Promise<BackgroundProvider> {
  const model = createFakeModel({ protocol: 'openai-responses', intervalMs: 10, script: { text: 'word '.repeat(3000) }, ...options, detached: true });
  const cancels: string[] = [];
  const handler = toNodeHandler(async (request) => {
    const path = new URL(request.url).pathname;
    const cancel = /^\/v1\/responses\/([^/]+)\/cancel$/.exec(path);
    if (request.method === 'POST' && cancel) {
      cancels.push(cancel[1]!);
      return model.cancel(cancel[1]!) ? Response.json({ status: 'cancelled' }) : Response.json({ error: 'not generating' }, { status: 404 });
    }
    if (request.method === 'POST' && path === '/v1/responses') return model.stream(request.signal);
    return new Response(null, { status: 404 });
  });
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    model,
    cancels,
    respond: (signal) => fetch(`${url}/v1/responses`, { method: 'POST', signal }),
    async cancel(responseId) {
      if (!responseId) throw new Error('no response id yet');
      const res = await fetch(`${url}/v1/responses/${responseId}/cancel`, { method: 'POST' });
      await res.text();
      if (!res.ok) throw new Error(`cancel answered ${res.status}`);
    },
    async close() {
      for (const run of model.runs) model.cancel(run.id);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
