/**
 * `react-model-stream`: the React entry. Like `@tanstack/react-query` over `query-core`, it also
 * re-exports the framework-agnostic core, so one import serves an app.
 *
 * No 'use client' here, on purpose: the React modules carry it (./react/index, a build entry of its
 * own, keeps it in dist), and this module only re-exports. With the directive here, every pure helper
 * below would become a client reference in a React Server Components bundler, and a Next.js route
 * handler calling `toModelMessages` from this entry would throw.
 */
export * from './react/index';
export * from './core/index';
// History for provider requests is pure (no zustand): also here, next to the hook whose `body`
// builder usually calls it.
export {
  toModelMessages,
  DEFAULT_STOPPED_NOTE,
  STOPPED_TOOL_RESULT,
  INTERRUPTED_TOOL_RESULT,
  MISSING_TOOL_RESULT,
  type ToModelMessagesOptions,
  type IncompleteHistoryOptions,
  type ModelMessageFormat,
  type OpenAIChatMessage,
  type OpenAIChatToolCall,
  type OpenAIResponsesInputItem,
  type AnthropicMessage,
  type AnthropicContentBlock,
} from './store/toModelMessages';
