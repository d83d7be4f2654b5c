import type { ResumeLogLimits, ResumeLogStore, StreamRegistry } from '../../types';

/**
 * `handleModelStream`'s `resume` option: `true` for the defaults, or the bounds of each stream's log
 * and of a stream nobody reads (docs/resume.md, "The bounds").
 *
 * @example
 * ```ts
 * handleModelStream(request, { registry, upstream, resume: { maxBytes: 1 << 20, ttlMs: 60_000, detachedMs: 10_000 } });
 * ```
 */
export type ResumeOptions = {
  /** Most bytes a stream's log keeps; the oldest go first (a resume from before them answers 404). Default 4 MiB. */
  maxBytes?: number;
  /** How long a log lives after its stream's last byte. Default 300 000 ms (5 minutes). */
  ttlMs?: number;
  /**
   * How long the upstream keeps running after its client went away with no resume reading it;
   * then it is aborted and the stream finishes `disconnected`. Default 30 000 ms.
   */
  detachedMs?: number;
};

/** The `resume` option with its defaults, and the registry's log store it writes to. */
export type ResolvedResume = { readonly store: ResumeLogStore; readonly limits: ResumeLogLimits; readonly detachedMs: number };

export enum ResumeDefault { MAX_BYTES = 4 * 1024 * 1024, TTL_MS = 300_000, DETACHED_MS = 30_000 }

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0)) throw new RangeError(`handleModelStream: resume.${name} must be a number > 0, not ${String(value)}.`);
  return value;
}

/** `null` when resume is off; throws when it is on but the registry keeps no logs, or a bound is not a positive number. */
export function resolveResume(resume: boolean | ResumeOptions | undefined, registry: StreamRegistry): ResolvedResume | null {
  if (!resume) return null;
  const store = registry.resumeLog;
  if (!store) throw new TypeError('handleModelStream: `resume` needs a registry with a `resumeLog` (createStreamRegistry and createRedisStreamRegistry have one).');
  const options = resume === true ? {} : resume;
  return {
    store,
    limits: { maxBytes: positive('maxBytes', options.maxBytes, ResumeDefault.MAX_BYTES), ttlMs: positive('ttlMs', options.ttlMs, ResumeDefault.TTL_MS) },
    detachedMs: positive('detachedMs', options.detachedMs, ResumeDefault.DETACHED_MS),
  };
}
