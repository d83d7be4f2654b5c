import { createStreamRegistry } from '../server/createStreamRegistry';
import { createFakeModel } from '../server/fakeModel/createFakeModel';
import type { MockModelServer } from './MockModelServer';
import type { MockModelServerOptions } from './MockModelServerOptions';
import type { MockModelSettings, MockServerContext } from './MockServerContext';
import { createMockFetch } from './createMockFetch';
import { createMswHandlers } from './createMswHandlers';
import { createRecorder } from './createRecorder';
import { endpointMatcher } from './endpointMatcher';
import { provideDecoders } from './provideDecoders';
import { serveCancel } from './serveCancel';
import { serveStream } from './serveStream';

/**
 * A model server for tests of your own chat UI, with no model and no network: it answers a
 * scripted answer (reasoning, text, tool calls with their arguments in fragments, usage) in any of
 * the six wire formats, at a pace you choose, with a cancel endpoint that really works — it is
 * `handleModelStream` and `handleCancel` over the deterministic fake model of
 * `react-model-stream/server` — and faults on demand (an HTTP error, a stall, a dropped
 * connection, a slow, failing or hanging cancel). Serve it through MSW (`handlers`) or pass its
 * `fetch` to `useModelStream`. Everything it does is recorded (`requests`, `cancels`), and every
 * delay is a `setTimeout`, so fake timers drive it.
 *
 * @example
 * ```ts
 * import { setupServer } from 'msw/node';
 * import { createMockModelServer } from 'react-model-stream/testing';
 *
 * const model = createMockModelServer({
 *   protocol: 'openai-chat',
 *   script: { text: 'Hello there!', toolCalls: [{ name: 'search', argsFragments: ['{"q":', '"tra', 'ins"}'] }], inputTokens: 12 },
 *   faults: { stall: { afterTokens: 2 } }, // "Hello there!" then the model thinks until Stop
 * });
 * const server = setupServer(...model.handlers);
 * // useModelStream({ api: model.api, cancelApi: model.cancelApi }) — or, with no MSW:
 * // useModelStream({ api: model.api, cancelApi: model.cancelApi, fetch: model.fetch })
 * ```
 */
export function createMockModelServer(options: MockModelServerOptions = {}): MockModelServer {
  provideDecoders();
  const api = options.api ?? '/api/chat';
  const cancelApi = options.cancelApi ?? '/api/chat/cancel';
  const streamEndpoint = endpointMatcher(api);
  const cancelEndpoint = endpointMatcher(cancelApi);
  const initial: MockModelSettings = { script: options.script, protocol: options.protocol, pace: options.pace, faults: options.faults };
  let settings = { ...initial };
  const recorder = createRecorder();
  const context: MockServerContext = {
    get settings() {
      return settings;
    },
    registry: createStreamRegistry(),
    model: createFakeModel(),
    recorder,
  };

  const handle = async (request: Request): Promise<Response | null> => {
    if (request.method === 'POST' && cancelEndpoint.test(request.url)) return serveCancel(request, context);
    if (streamEndpoint.test(request.url)) return serveStream(request, context);
    return null;
  };

  return {
    handlers: createMswHandlers(handle, { stream: streamEndpoint.msw, cancel: cancelEndpoint.msw }),
    fetch: createMockFetch(handle, { api, cancelApi }),
    handle,
    api,
    cancelApi,
    get requests() {
      return recorder.requests;
    },
    get cancels() {
      return recorder.cancels;
    },
    registry: context.registry,
    streamStarted: (index) => recorder.streamStarted(index),
    cancelAnswered: (index) => recorder.cancelAnswered(index),
    update(next) {
      settings = { ...settings, ...next };
    },
    reset() {
      settings = { ...initial };
      recorder.reset();
    },
  };
}
