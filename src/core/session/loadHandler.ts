import type { HandlerFactory, HandlerSource, JsonProtocol } from '../decoders/handler';
import { StreamProtocolError } from '../errors';
import { defaultConnectionsPerHost, openStreamsTo, originOf } from '../openStreams';
import type { StreamSessionOptions } from './types';

// The stream session's protocol handlers: each a chunk of its own, loaded on first use, so that an
// app downloads the handler of the protocol it streams and not the four (docs/size.md, "Protocol
// handlers, loaded lazily"). `decodeStream`, `collectStream`, `createStreamDecoder` and the server
// keep the static map (`decoders/staticHandlers.ts`): synchronous, every protocol.

/**
 * Each handler, by a literal path: a bundler makes each a chunk of its own. The targets re-export the
 * handler modules (`decoders/lazy/*`), which nothing imports statically (see the files why).
 */
const importHandler = (protocol: JsonProtocol): Promise<HandlerFactory> =>
  (protocol === 'anthropic'
    ? import('../decoders/lazy/anthropic')
    : protocol === 'openai-responses'
      ? import('../decoders/lazy/openaiResponses')
      : protocol === 'ai-sdk'
        ? import('../decoders/lazy/aiSdk')
        : import('../decoders/lazy/openaiChat')
  ).then((module) => module.handler);

/** For the page: a loaded handler (every later session is synchronous), or its load under way. */
const loaded: Partial<Record<JsonProtocol, HandlerFactory | Promise<HandlerFactory>>> = {};

/**
 * A protocol's handler: at once once loaded, else the promise of its chunk (started at most once
 * a page at a time). A load that failed is forgotten, so the next stream tries again, and rejects
 * with a `StreamProtocolError` of type `handler-unavailable`. Never an unhandled rejection: the
 * session starts the load at its creation for an explicit `protocol` and may never read it.
 */
export const loadHandler: HandlerSource = (protocol) => {
  // NDJSON is Chat Completions chunks, one per line: the same handler.
  const json = protocol === 'ndjson' ? 'openai-chat' : protocol;
  let handler = loaded[json];
  if (!handler) {
    const loading = (loaded[json] = importHandler(json).then(
      (factory) => (loaded[json] = factory),
      (cause) => {
        delete loaded[json];
        throw new StreamProtocolError('handler-unavailable', `Could not load the ${json} decoder (offline, or the app was updated).`, '', { cause });
      },
    ));
    loading.catch(() => {});
    handler = loading;
  }
  return handler;
};

/** The JSON protocols, each with a handler chunk. */
const PROTOCOLS = ['openai-chat', 'openai-responses', 'anthropic', 'ai-sdk'] as const;

/** How long an `'auto'` stream waits for the handlers before its request (`loadHandlersBeforeRequest`) at most. */
enum Preload { WAIT_MS = 3000 }

/**
 * For `'auto'`, before its request. `'auto'` requests its handler at the first event, over a
 * connection that must be free then. Over HTTP/1.1 a page has 6 per host (docs/session.md): streams
 * at once to one origin can hold them all, and each chunk then waits for a stream to end (the
 * demo's six lanes did). Loading every handler when a stream took the last connection was not
 * enough: its own request could still take that connection first. So, where the runtime has such a
 * limit, a stream that is not alone to its origin (or takes its last connection) loads every
 * handler not loaded yet and sends its request once they are there, or after `Preload.WAIT_MS`:
 * the chunks get connections before the streams take them. Returns that wait, or `null` for none.
 * Called before the stream counts itself among the open ones.
 */
export function loadHandlersBeforeRequest(options: StreamSessionOptions): Promise<unknown> | null {
  const origin = originOf(options.api);
  const limit = options.connectionsPerHost ?? defaultConnectionsPerHost();
  if (limit === Infinity || (limit > 1 && (origin === null || openStreamsTo(origin) === 0))) return null;
  // Loaded ones count as settled at once; the timer left running after is harmless.
  return Promise.race([Promise.allSettled(PROTOCOLS.map(loadHandler)), new Promise((resolve) => setTimeout(resolve, Preload.WAIT_MS))]);
}

/**
 * Fills the page's handlers at once, synchronously (the testing kit: a test's first stream must not
 * wait for a module load, which fake timers do not advance). Shaken off in an app.
 */
export function provideHandlers(source: (protocol: JsonProtocol) => HandlerFactory | Promise<HandlerFactory>): void {
  for (const json of PROTOCOLS) loaded[json] ??= source(json) as HandlerFactory;
}
