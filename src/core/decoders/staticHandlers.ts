import { createAiSdkHandler } from './aiSdk';
import { createAnthropicHandler } from './anthropic';
import type { HandlerFactory, HandlerSource, JsonProtocol } from './handler';
import { createOpenAIChatHandler } from './openaiChat';
import { createOpenAIResponsesHandler } from './openaiResponses';

// Every handler, imported statically: the synchronous decoder of `decodeStream`, `collectStream`,
// `createStreamDecoder` and the server. The stream session loads one at a time instead
// (`session/loadHandler.ts`), so an app downloads only the handler of the protocol it streams.

const HANDLERS: Record<JsonProtocol, HandlerFactory> = {
  'openai-chat': createOpenAIChatHandler,
  'openai-responses': createOpenAIResponsesHandler,
  anthropic: createAnthropicHandler,
  'ai-sdk': createAiSdkHandler,
  // NDJSON is openai-node's `toReadableStream()`: one Chat chunk per line.
  ndjson: createOpenAIChatHandler,
};

/** Every protocol's handler, at once. */
export const staticHandlers: HandlerSource = (protocol) => HANDLERS[protocol];
