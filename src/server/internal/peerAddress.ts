/**
 * The TCP peer address of requests built by `toNodeHandler` from a `node:http` request. A socket
 * address is not written by the client (unlike `x-forwarded-for`), so the cancel endpoint's
 * default rate limit key (`defaultRateLimitKey`) can use it. Kept beside the Request in a
 * `WeakMap` (freed with it), never in a header a client could send. Requests built elsewhere (a
 * Next.js route handler, an Edge or Deno runtime, by hand, a `clone()`) have none.
 */
const peers = new WeakMap<Request, string>();

export function setPeerAddress(request: Request, address: string | undefined): void {
  if (address) peers.set(request, address);
}

/** The socket address `toNodeHandler` saw for `request`, else `null`. Behind a reverse proxy: the proxy's. */
export function peerAddress(request: Request): string | null {
  return peers.get(request) ?? null;
}
