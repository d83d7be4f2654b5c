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
export function readUsage(value: any, inputKey: string, outputKey: string, estimated?: boolean, details?: UsageDetailKeys): Usage | null {
  if (value === null || typeof value !== 'object') return null;
  const usage: Usage = { inputTokens: toCount(value[inputKey]), outputTokens: toCount(value[outputKey]) };
  if (estimated) usage.estimated = true;
  for (const key in details) {
    // `a.b` reads a nested count (`prompt_tokens_details.cached_tokens`). A key is set only for a
    // count above 0: a 0 says nothing an absent key does not, and the snapshot of a stream without
    // cache or reasoning stays exactly the seven keys of the fixtures' expected files.
    const count = toCount(details[key as UsageDetail]!.split('.').reduce((at: any, name) => at?.[name], value));
    if (count) usage[key as UsageDetail] = count;
  }
  return usage;
}

/** The detail counts of `Usage`. */
export type UsageDetail = 'cachedInputTokens' | 'cacheWriteInputTokens' | 'reasoningTokens';

/** Where a wire usage object keeps each detail count (`a.b` for a nested one). */
export type UsageDetailKeys = Partial<Record<UsageDetail, string>>;
