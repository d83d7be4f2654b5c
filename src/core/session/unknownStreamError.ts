import { StreamCancelError } from '../errors';

let warnedUnknownStream = false;

/**
 * A `pending` cancel answer for a stream whose response had started: the cancel endpoint does not
 * know a running stream (docs/session.md). Said once on the console in development: a deployment
 * fault. Its own module because the warning is said once per page, not once per session.
 */
export function unknownStreamError(): StreamCancelError {
  const failure = new StreamCancelError(
    'unknown-stream',
    'Not stopped on the server: the cancel endpoint does not know this running stream (its registry is likely not shared with the instance streaming it).',
  );
  // `process.env.NODE_ENV` spelled out, so a production build (which replaces it) drops the
  // warning, `try` and all; where nothing replaces it and there is no `process` (plain ESM in a
  // page), it throws, which reads as production.
  try {
    if (process.env.NODE_ENV !== 'production' && !warnedUnknownStream) console.warn((warnedUnknownStream = true) && failure.message);
  } catch {
    // No `process`: production.
  }
  return failure;
}
