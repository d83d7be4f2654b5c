import type { Protocol } from '../../../src/core/types';
import { createStreamRegistry, type InMemoryStreamRegistry, type StreamRegistryOptions } from '../../../src/server/createStreamRegistry';
import { handleCancel, type HandleCancelOptions } from '../../../src/server/handleCancel';
import { handleModelStream, type DisconnectPolicy } from '../../../src/server/handleModelStream';
import type { StreamRegistry } from '../../../src/server/types';
import { startServer, type TestServer } from './http';

export type Setup = TestServer & {
  registry: InMemoryStreamRegistry;
  streamUrl: string;
  cancelUrl: string;
  /** Changes the upstream the next stream request uses. */
  setUpstream(upstream: (signal: AbortSignal) => Response | Promise<Response>): void;
  teardown(): Promise<void>;
};

/** One registry and one node:http server with `/stream` (handleModelStream) and `/cancel` (handleCancel). */
export async function setup(
  options: {
    upstream?: (signal: AbortSignal) => Response | Promise<Response>;
    protocol?: Protocol | 'auto';
    onDisconnect?: DisconnectPolicy;
    registry?: StreamRegistryOptions;
    authorize?: HandleCancelOptions['authorize'];
  } = {},
): Promise<Setup> {
  const registry = createStreamRegistry(options.registry);
  let upstream = options.upstream ?? (() => new Response('no upstream set', { status: 500 }));
  const server = await startServer(routes(registry, () => upstream, options));
  return {
    ...server,
    registry,
    streamUrl: `${server.url}/stream`,
    cancelUrl: `${server.url}/cancel`,
    setUpstream(next) {
      upstream = next;
    },
    async teardown() {
      await server.close();
      await registry.close();
    },
  };
}

/** The two routes of a server instance over `registry`. */
export function routes(
  registry: StreamRegistry,
  upstream: () => (signal: AbortSignal) => Response | Promise<Response>,
  options: { protocol?: Protocol | 'auto'; onDisconnect?: DisconnectPolicy; authorize?: HandleCancelOptions['authorize'] } = {},
) {
  return {
    '/stream': (request: Request) =>
      handleModelStream(request, {
        registry,
        upstream: (signal) => upstream()(signal),
        ...(options.protocol ? { protocol: options.protocol } : {}),
        ...(options.onDisconnect ? { onDisconnect: options.onDisconnect } : {}),
      }),
    '/cancel': (request: Request) => handleCancel(request, { registry, ...(options.authorize ? { authorize: options.authorize } : {}) }),
  };
}
