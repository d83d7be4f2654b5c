const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Matches `endpoint` (a path: on any origin; or an absolute URL), ignoring the query string. */
export function endpointMatcher(endpoint: string): { test(url: string): boolean; msw: string | RegExp } {
  if (/^[a-z][a-z0-9+.-]*:/i.test(endpoint)) {
    const target = new URL(endpoint);
    return {
      test: (url) => {
        const u = new URL(url);
        return u.origin === target.origin && u.pathname === target.pathname;
      },
      msw: `${target.origin}${target.pathname}`,
    };
  }
  const path = endpoint.startsWith('/') ? endpoint : `/${endpoint}`;
  return {
    test: (url) => new URL(url).pathname === path,
    // A path alone would be resolved against `location` by MSW, and match nothing in Node.
    msw: new RegExp(`^[a-z][a-z0-9+.-]*://[^/?#]+${escapeRegExp(path)}(?:[?#].*)?$`, 'i'),
  };
}

/** `input` as an absolute URL: relative ones against `location` (jsdom, browsers) or `http://localhost/`. */
export function absoluteUrl(input: string | URL): string {
  const base = (globalThis as { location?: { href?: string } }).location?.href ?? 'http://localhost/';
  return new URL(input, base).href;
}
