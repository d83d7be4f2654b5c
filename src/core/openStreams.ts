/**
 * The streams this page has open, counted per origin, so that a Stop can tell when its cancel
 * request would wait in the browser's connection pool behind the very streams it is meant to stop
 * (docs/session.md, "The browser's connection pool").
 */

/** Connections a browser opens per host over HTTP/1.1 (Chrome, Firefox and Safari alike). */
export const BROWSER_CONNECTIONS_PER_HOST = 6;

const open = new Map<string, number>();

/**
 * The origin of `url`, resolved as `fetch` resolves it (against the document's base URL, else the
 * location), or `null` when it cannot be resolved.
 */
export function originOf(url: string | URL): string | null {
  try {
    const base = (globalThis as { document?: { baseURI?: string } }).document?.baseURI ?? globalThis.location?.href;
    return new URL(url, base).origin;
  } catch {
    return null;
  }
}

/**
 * Counts one open stream to `url`'s origin until the returned release is called (once; later
 * calls do nothing).
 */
export function trackOpenStream(url: string | URL): () => void {
  const origin = originOf(url);
  if (origin === null) return () => {};
  open.set(origin, (open.get(origin) ?? 0) + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const left = (open.get(origin) ?? 1) - 1;
    if (left > 0) open.set(origin, left);
    else open.delete(origin);
  };
}

/** How many streams this page has open to `origin` (see {@link trackOpenStream}). */
export function openStreamsTo(origin: string): number {
  return open.get(origin) ?? 0;
}

/**
 * The per-host connection limit of the runtime's `fetch`: 6 in a browser (window or worker),
 * `Infinity` elsewhere. Node, Deno and Bun have no such limit, and neither have jsdom and
 * happy-dom, whose `fetch` is Node's (their user agents name them).
 */
export function defaultConnectionsPerHost(): number {
  const agent: unknown = globalThis.navigator?.userAgent;
  if (typeof agent !== 'string' || !agent.startsWith('Mozilla/') || /\b(jsdom|HappyDOM)\//i.test(agent)) return Infinity;
  return BROWSER_CONNECTIONS_PER_HOST;
}
