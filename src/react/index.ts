'use client';
export {
  useModelStream,
  type UseModelStreamOptions,
  type UseModelStreamResult,
  type StreamEndReason,
  type RequestBodyContext,
  type ModelStreamStatus,
  type Tool,
  type Tools,
  type ToolContext,
  type ToolExecute,
} from './useModelStream';
export { StopButton, stopButtonState, type StopButtonProps, type StopButtonState } from './StopButton';
export {
  ModelStreamProvider,
  useCancelQueryClient,
  useProvidedStream,
  type ModelStreamProviderProps,
  type ModelStreamContextValue,
  type StoppableStream,
  type StopOptions,
} from './ModelStreamProvider';
export { createMutationCancel, CANCEL_MUTATION_KEY } from './createMutationCancel';
export { useMessage, useConversationMessages } from './useMessage';
