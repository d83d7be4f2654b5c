import { report } from '../../core/internal/reportError';
import { unrefTimer, withTimeout } from '../../core/internal/withTimeout';
import type { CancelReport } from '../types';
import type { SideDecoder } from './createSideDecoder';

/** What `cancelUpstream` is told: the stream, and the provider's response id when the stream carried one. */
export type CancelUpstreamInfo = { streamId: string; responseId: string | null };

/** `cancelUpstreamTimeoutMs` by default. */
export const DEFAULT_CANCEL_UPSTREAM_TIMEOUT_MS = 5000;

export type UpstreamCancelOptions = {
  streamId: string;
  cancelUpstream?: ((info: CancelUpstreamInfo) => void | Promise<void>) | undefined;
  cancelUpstreamTimeoutMs?: number | undefined;
};

/**
 * The provider-side cancel of a cancelled stream (`cancelUpstream`), for providers that keep
 * generating after their HTTP request is aborted (OpenAI background responses). Without
 * `cancelUpstream` a cancel answers at once, as before.
 */
export type UpstreamCancel = {
  /**
   * This cancel stopped the stream: with `cancelUpstream`, a promise of `report` plus
   * `upstreamCancelled` (`true` when it resolved within the bound, `false` when it threw, rejected
   * or took longer), which the cancel answer waits for. Without it, `report` as it is.
   */
  after(report: CancelReport): CancelReport | Promise<CancelReport>;
  /** The first cancel's promise, for a cancel that finds the stream cancelled already; else `null`. */
  readonly pending: Promise<CancelReport> | null;
};

/** The bound in milliseconds: the option when it is a number > 0 (`Infinity`: none), else the default. */
function boundOf(timeoutMs: number | undefined): number {
  return typeof timeoutMs === 'number' && timeoutMs > 0 ? timeoutMs : DEFAULT_CANCEL_UPSTREAM_TIMEOUT_MS;
}

/** Runs `cancelUpstream` within `ms`: whether it resolved in time (a throw or rejection is reported). */
async function runBounded(cancelUpstream: NonNullable<UpstreamCancelOptions['cancelUpstream']>, info: CancelUpstreamInfo, ms: number): Promise<boolean> {
  const attempt = (async () => {
    await cancelUpstream(info);
    return true;
  })().catch((error: unknown) => {
    report(error);
    return false;
  });
  if (!Number.isFinite(ms)) return attempt;
  return withTimeout(attempt, ms, () => false, unrefTimer);
}

export function createUpstreamCancel(options: UpstreamCancelOptions, decoder: Pick<SideDecoder, 'message'>): UpstreamCancel {
  const { cancelUpstream, streamId } = options;
  const ms = boundOf(options.cancelUpstreamTimeoutMs);
  let pending: Promise<CancelReport> | null = null;

  return {
    after(cancelReport) {
      if (!cancelUpstream) return cancelReport;
      // The id is read now, with what was decoded up to the cancel.
      const info: CancelUpstreamInfo = { streamId, responseId: decoder.message().id };
      pending = runBounded(cancelUpstream, info, ms).then((upstreamCancelled) => ({ ...cancelReport, upstreamCancelled }));
      return pending;
    },
    get pending() {
      return pending;
    },
  };
}
