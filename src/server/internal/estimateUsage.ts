import type { AccumulatedMessage } from '../../core/accumulator';
import type { CancelReport } from '../types';

/**
 * Characters per token of the estimate. ≈ 4 is OpenAI's and Anthropic's rule of thumb for English
 * prose; code, JSON and non-Latin scripts run at fewer characters per token, so the estimate is low
 * for them. It is an order of magnitude for a budget display, never a bill, and it is flagged.
 */
export const CHARS_PER_TOKEN = 4;

/** Output tokens estimated from what was streamed: visible text, reasoning and tool-call argument text. */
export function estimateOutputTokens(message: AccumulatedMessage): number {
  let chars = message.text.length + message.reasoning.length;
  for (const call of message.toolCalls) chars += call.argsText.length + call.name.length;
  return Math.ceil(chars / CHARS_PER_TOKEN);
}

/**
 * The usage of a stream at the moment it was cancelled.
 *
 * - The provider's own output count is used as is when the stream had finished (it is final), or
 *   when it is at least the estimate.
 * - Otherwise the output count is estimated (`ceil(characters / 4)`, see `CHARS_PER_TOKEN`) and
 *   `usageEstimated` is `true`. This covers providers that send usage only at the end (OpenAI Chat,
 *   Responses, the AI SDK) and Anthropic, whose `message_start` carries a placeholder output count
 *   that is replaced only by the final `message_delta`.
 * - Input tokens are the provider's count when it sent one (Anthropic sends it first), else `null`:
 *   the prompt is not visible to the pass-through, so it is not guessed.
 *
 * `handleModelStream` calls it on cancel; it is exported for custom handlers.
 *
 * @example
 * ```ts
 * import { createAccumulator } from 'react-model-stream/core';
 * import { estimateUsage } from 'react-model-stream/server';
 *
 * const acc = createAccumulator();
 * acc.apply({ type: 'text-delta', delta: 'Hello there, world' }); // 18 characters
 * estimateUsage(acc.message()); // { usage: { inputTokens: null, outputTokens: 5 }, usageEstimated: true }
 * ```
 */
export function estimateUsage(message: AccumulatedMessage): CancelReport {
  const provided = message.usage;
  const estimate = estimateOutputTokens(message);
  const inputTokens = provided?.inputTokens ?? null;
  const outputTokens = provided?.outputTokens ?? null;
  if (outputTokens !== null && (message.finishReason !== null || outputTokens >= estimate)) {
    return { usage: { inputTokens, outputTokens }, usageEstimated: false };
  }
  return { usage: { inputTokens, outputTokens: Math.max(estimate, outputTokens ?? 0) }, usageEstimated: true };
}
