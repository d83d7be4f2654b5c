import { readUsage, type UsageDetailKeys } from '../readUsage';
import type { EmitEvent } from './handler';

// The normalized events every protocol handler emits from loosely typed wire values. Each helper
// checks its value, so a missing or empty field emits nothing rather than an empty delta.

/** Emits a `usage` event when `value` is an object (see {@link readUsage}). */
export function emitUsage(emit: EmitEvent, value: unknown, inputKey: string, outputKey: string, estimated?: boolean, details?: UsageDetailKeys): void {
  const usage = readUsage(value, inputKey, outputKey, estimated, details);
  if (usage) emit({ type: 'usage', usage });
}

/** Emits a text or reasoning delta when `value` is a non-empty string. */
export function emitDelta(emit: EmitEvent, type: 'text-delta' | 'reasoning-delta' | 'refusal-delta', value: unknown): void {
  if (typeof value === 'string' && value !== '') emit({ type, delta: value });
}

/** Emits a fragment of tool call `id`'s arguments when `value` is a non-empty string. */
export function emitArgsDelta(emit: EmitEvent, id: string, value: unknown): void {
  if (typeof value === 'string' && value !== '') emit({ type: 'tool-call-delta', id, delta: value });
}

/** Emits an in-stream `error`, with a `code` only when the wire gave one. */
export function emitError(emit: EmitEvent, message: string, code?: unknown): void {
  emit(code != null ? { type: 'error', message, code: String(code) } : { type: 'error', message });
}
