import { StreamCancelError } from '../errors';
import { isDevelopment } from '../isDevelopment';

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
  if (!warnedUnknownStream && isDevelopment()) console.warn((warnedUnknownStream = true) && failure.message);
  return failure;
}
