/**
 * `react-model-stream/server`: Web-standard `Request`/`Response` helpers for Next.js route
 * handlers, Node and any fetch runtime. A stream registry, `handleModelStream` (pipes an upstream
 * model response through and really stops it on cancel) and `handleCancel` (the cancel endpoint).
 * Nothing here imports Redis; the Redis registry is `react-model-stream/server/redis`.
 */
export { createStreamRegistry, type StreamRegistryOptions, type InMemoryStreamRegistry } from './createStreamRegistry';
export { handleModelStream, type HandleModelStreamOptions, type DisconnectPolicy } from './handleModelStream';
export { DEFAULT_CANCEL_UPSTREAM_TIMEOUT_MS, type StreamEndOptions, type StreamFinishInfo, type StreamFinishReason, type CancelUpstreamInfo } from './streamEndOptions';
export { handleCancel, MAX_CANCEL_BODY_BYTES, DEFAULT_CANCEL_BODY_TIMEOUT_MS, type HandleCancelOptions, type CancelCorsOptions } from './handleCancel';
export { createRateLimiter, defaultRateLimitKey, type RateLimiter, type RateLimiterOptions, type CancelRateLimitOptions, type TrustProxy } from './createRateLimiter';
export { handleResume, LOG_ENDED_HEADER, type HandleResumeOptions } from './handleResume';
export { ResumeGapError } from './ResumeGapError';
export type { ResumeOptions } from './internal/resume/resolveResume';
export { toNodeHandler } from './toNodeHandler';
export { CHARS_PER_TOKEN, estimateUsage } from './internal/estimateUsage';
export { hashSecret, STREAM_ID_HEADER, CANCEL_SECRET_HEADER } from './internal/validation';
export type {
  StreamRegistry,
  StreamRegistration,
  RegisterResult,
  CancelOptions,
  CancelResult,
  CancelReport,
  CancelUsage,
  CancelListener,
  ResumeLogStore,
  ResumeLogWriter,
  ResumeLogReader,
  ResumeLogEntry,
  ResumeLogMeta,
  ResumeLogLimits,
  ResumeLogEnd,
} from './types';
export { createToolLoopScript, type ToolLoopStep } from './fakeModel/createToolLoopScript';
export { readToolHistory, type ToolHistory, type ToolHistoryResult } from './fakeModel/readToolHistory';
export { TOOL_LOOP_FAKE_STEPS } from './fakeModel/toolLoopFakeSteps';
export {
  createFakeModel,
  tokenize,
  DEFAULT_FAKE_SCRIPT,
  type FakeModel,
  type FakeModelOptions,
  type FakeModelRun,
  type FakeModelScript,
} from './fakeModel/createFakeModel';
export { createWireEncoder, type WireEncoder, type WireEncoderOptions } from './fakeModel/createWireEncoder';
