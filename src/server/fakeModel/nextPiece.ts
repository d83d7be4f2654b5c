import type { FakeModelRun } from './createFakeModel';
import type { Step } from './scriptSteps';

/**
 * The steps from `cursor.next` up to and including the next token (framing steps go out with the
 * token that follows them), as one string; `cursor.next` moves past them. Every token is counted in
 * `run` (its time, and whether it came after an abort or a cancel), so the paced body and the
 * detached generation, which both emit through this, count alike. `''` once the steps are over.
 *
 * @example
 * ```ts
 * const cursor = { next: 0 };
 * while (cursor.next < steps.length) controller.enqueue(encoder.encode(nextPiece(steps, cursor, run)));
 * ```
 */
export function nextPiece(steps: readonly Step[], cursor: { next: number }, run: FakeModelRun): string {
  let out = '';
  while (cursor.next < steps.length) {
    const step = steps[cursor.next++]!;
    if (step.token) {
      run.tokens++;
      run.tokenTimes.push(performance.now());
      if (run.abortedAt !== null) run.tokensAfterAbort++;
      // Only a detached generation can be cancelled (`cancelledAt` stays null for a paced body).
      if (run.cancelledAt !== null) run.tokensAfterCancel++;
    }
    out += step.write();
    if (step.token) break;
  }
  return out;
}
