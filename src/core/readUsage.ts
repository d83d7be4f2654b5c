import type { Usage } from './types';

// Usage counts as the wire gives them (provider events, the cancel endpoint's answer), read into
// the normalized `Usage`: a count that is missing or not a finite number is `null`, never 0.

/** A count from the wire, or `null` when it is missing or not a finite number. */
export function toCount(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/**
 * Usage from a wire object's two count fields (`null` counts when missing or not finite numbers);
 * `null` when `value` is not an object. `estimated` is set only when true.
 */
export function readUsage(value: any, inputKey: string, outputKey: string, estimated?: boolean): Usage | null {
  if (value === null || typeof value !== 'object') return null;
  const usage: Usage = { inputTokens: toCount(value[inputKey]), outputTokens: toCount(value[outputKey]) };
  if (estimated) usage.estimated = true;
  return usage;
}
