import type { FinishReason, Protocol } from '../../core/types';

// The contract of the fake model's wire encoders, one per format (`chatEncoder`,
// `responsesEncoder`, `anthropicEncoder`, `aiSdkEncoder`, `textEncoder`); `createWireEncoder`
// picks one.

/**
 * Writes a model's answer in one of the six wire formats, piece by piece, the way the real
 * providers do (the same framing, field order and extra fields as the recordings in
 * `test/fixtures/`). It is the inverse of the decoders and serves the fake model, the demo, the
 * benchmarks and the tests. Every method returns the text to send (possibly empty).
 */
export type WireEncoder = {
  readonly protocol: Protocol;
  /** The `content-type` of the response. */
  readonly contentType: string;
  /** Opening events (ids, lifecycle). */
  start(): string;
  text(delta: string): string;
  reasoning(delta: string): string;
  toolStart(id: string, name: string): string;
  toolDelta(id: string, delta: string): string;
  toolEnd(id: string): string;
  /** Closing events: finish reason, usage, end-of-stream marker. */
  finish(reason: FinishReason, usage: { inputTokens: number; outputTokens: number }): string;
  /** An error reported inside the stream, then the end of the stream. */
  error(message: string): string;
};

export type WireEncoderOptions = {
  /** Response / message id. */
  id?: string;
  model?: string;
  /** Unix seconds used for `created` fields (fixed by default, so output is deterministic). */
  created?: number;
  /** Input tokens reported where a format sends them up front (Anthropic `message_start`). Default 0. */
  inputTokens?: number;
};
