import type { enter, isLive, Session } from '../createStreamSession';
import type { ConnectionSink } from './createStreamConnection';

/**
 * The session's `lost` with `resumeApi` (`undefined` without it: a drop closes as it says). The
 * client half of resume (`createReconnector`) is a chunk of its own, so that an app without
 * `resumeApi` never downloads it (docs/size.md); it is loaded here, at the session's creation, not
 * at a drop: a drop often comes with the network gone, when a chunk could no longer be fetched.
 * Once loaded, the reconnector decides at once; a drop before it loaded waits for it, and if it
 * failed to load (offline, a deploy removed the chunk) the connection closes as without resume.
 */
export function loadReconnector(s: Session, fetchFn: typeof fetch, live: typeof isLive, tell: typeof enter): ConnectionSink['lost'] | undefined {
  if (!s.options.resumeApi) return;
  let reconnect: ConnectionSink['lost'] | undefined;
  const loading = import('./createReconnector').then(
    ({ createReconnector }) => (reconnect = createReconnector(s, fetchFn, live, tell)),
    () => undefined,
  );
  // Once loaded it decides at once, as a static one would. A drop that waits for it: a stop or an
  // end (`disconnect()`) meanwhile, and the reconnector declines (not live); the close then goes
  // into the stop contract, or finds the session over and changes nothing.
  return (how, failure) => reconnect?.(how, failure) ?? (void loading.then((loaded) => loaded?.(how, failure) || s.connection.finish(how, failure)), true);
}
