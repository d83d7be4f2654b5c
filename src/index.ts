/**
 * `react-model-stream`: the React entry. Like `@tanstack/react-query` over `query-core`, it also
 * re-exports the framework-agnostic core, so one import serves an app.
 *
 * No 'use client' here, on purpose: the React modules carry it (./react/index, a build entry of its
 * own, keeps it in dist), and this module only re-exports. With the directive here, every pure helper
 * below would become a client reference in a React Server Components bundler, and a Next.js route
 * handler calling `toModelMessages` from this entry would throw.
 */
// Named, not `export *`: a star re-export of a 'use client' module has broken in Next.js before
// (undefined components in dev, "conflicting star exports"); test/package/serverEntry.test.ts checks
// that this list is the React entry's whole list.
export {
  useModelStream,
  StopButton,
  stopButtonState,
  ModelStreamProvider,
  useCancelQueryClient,
  useProvidedStream,
  createMutationCancel,
  CANCEL_MUTATION_KEY,
  useMessage,
  useConversationMessages,
  type UseModelStreamOptions,
  type UseModelStreamResult,
  type StreamEndReason,
  type RequestBodyContext,
  type ModelStreamStatus,
  type Tool,
  type Tools,
  type ToolContext,
  type ToolExecute,
  type StopButtonProps,
  type StopButtonState,
  type ModelStreamProviderProps,
  type ModelStreamContextValue,
  type StoppableStream,
  type StopOptions,
} from './react/index';
export * from './core/index';
// History for provider requests is pure (no zustand): also here, next to the hook whose `body`
// builder usually calls it.
export {
  toModelMessages,
  DEFAULT_STOPPED_NOTE,
  STOPPED_TOOL_RESULT,
  INTERRUPTED_TOOL_RESULT,
  MISSING_TOOL_RESULT,
  DENIED_TOOL_RESULT,
  CANCELLED_TOOL_RESULT,
  DISCONNECTED_TOOL_RESULT,
  type ToModelMessagesOptions,
  type IncompleteHistoryOptions,
  type ModelMessageFormat,
  type OpenAIChatMessage,
  type OpenAIChatToolCall,
  type OpenAIResponsesInputItem,
  type OpenAIResponsesReasoningSummary,
  type AnthropicMessage,
  type AnthropicContentBlock,
} from './store/toModelMessages';
