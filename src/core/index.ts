/**
 * `react-model-stream/core`: the framework-agnostic half. Wire decoders, the accumulator, the
 * incremental partial-JSON parser, the stream session and the typed errors. No React, no zustand.
 */
export { collectStream } from './collectStream';
export { decodeStream } from './decodeStream';
export { createStreamDecoder, STREAM_CANCELLED_EVENT, type StreamDecoder } from './decoders/createStreamDecoder';
export { detectProtocolFromContentType, detectProtocolFromEvent } from './decoders/detectProtocol';
export {
  createAccumulator,
  type Accumulator,
  type AccumulatorOptions,
  type AccumulatedMessage,
  type AccumulatedToolCall,
  type ToolCallState,
} from './accumulator';
export { createPartialJsonParser } from './createPartialJsonParser';
export {
  createStreamSession,
  type StreamSession,
  type StreamSessionOptions,
  type StreamSessionSnapshot,
  type StreamStatus,
  type IncompleteReason,
  type IncompleteInfo,
  type StopResult,
} from './createStreamSession';
export { createCancelRequest, type CancelRequestOptions, type CancelOutcome, type CancelRequest, type CancelFunction } from './createCancelRequest';
export { frameScheduler, createIntervalScheduler, syncScheduler, type NotifyScheduler } from './scheduler';
export { createStreamId, createCancelSecret, STREAM_CANCELLED_HEADER } from './ids';
export {
  StreamHttpError,
  StreamModelError,
  StreamCancelError,
  StreamProtocolError,
  StreamAbortedError,
  PartialJsonError,
  type StreamProtocolErrorType,
  type StreamAbortReason,
} from './errors';
export {
  PROTOCOLS,
  type Protocol,
  type FinishReason,
  type Usage,
  type StreamEvent,
  type StreamEventType,
  type StreamSnapshot,
  type SnapshotToolCall,
  type DecodeOptions,
  type MessageExtras,
  type ReasoningPart,
  type ReasoningBlock,
} from './types';
