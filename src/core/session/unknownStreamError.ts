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
  // `process.env.NODE_ENV` spelled out here too, so a production build (which replaces it) drops
  // the warning; the checks before it keep it from throwing where there is no `process`, and
  // `isDevelopment()` still decides.
  if (typeof process !== 'undefined' && process.env && process.env.NODE_ENV !== 'production' && isDevelopment() && !warnedUnknownStream) {
    console.warn((warnedUnknownStream = true) && failure.message);
  }
  return failure;
}
