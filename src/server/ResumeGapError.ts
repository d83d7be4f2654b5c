/**
 * A resume log was trimmed past a reader's position: the bytes it needs next are gone. The reader's
 * body errors with it rather than skip them (never a silent gap); the client's next resume then
 * answers `404` and the message ends `disconnected`, with what it had kept.
 *
 * A custom `ResumeLogStore` throws it from `entries()` in that case.
 *
 * @example
 * ```ts
 * import { ResumeGapError } from 'react-model-stream/server';
 * if (oldestKept > position) throw new ResumeGapError(position, oldestKept);
 * ```
 */
export class ResumeGapError extends Error {
  override readonly name = 'ResumeGapError';
  constructor(
    /** The reader's position: the first content offset it still needs. */
    readonly position: number,
    /** The first content offset the log still keeps. */
    readonly first: number,
  ) {
    super(`The stream's resume log no longer has offset ${position} (it starts at ${first}): it was trimmed past this reader.`);
  }
}
