import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createStreamSession } from '../../src/core/createStreamSession';
import { createCancelSecret, createStreamId } from '../../src/core/ids';
import { createStreamRegistry, handleCancel, handleModelStream, toNodeHandler } from '../../src/server/index';
import { createFakeModel } from '../../src/server/fakeModel/createFakeModel';

// Security rows of the hardening issue that are properties of the code rather than of one endpoint
// (the endpoint's own answers are in test/server/handleCancel.test.ts and rateLimit.test.ts).

const ROOT = join(import.meta.dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|tsx|mjs)$/.test(name) ? [path] : [];
  });
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('security properties', () => {
  it('stream ids and cancel secrets come from a CSPRNG: UUID v4 ids, 256-bit secrets, never repeated', () => {
    const secrets = new Set(Array.from({ length: 1000 }, () => createCancelSecret()));
    expect(secrets.size).toBe(1000);
    for (const secret of secrets) expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 bytes, base64url
    const ids = new Set(Array.from({ length: 1000 }, () => createStreamId()));
    expect(ids.size).toBe(1000);
  });

  it('the secret travels only in a header: never in a URL, never in a body, never logged, not echoed by the server', async () => {
    const registry = createStreamRegistry();
    const model = createFakeModel({ protocol: 'anthropic', tokensPerSecond: 200 });
    const seen: { url: string; body: string; secretHeader: string | null; answer: string }[] = [];
    // The real handlers, with every request and answer recorded on the way.
    const recorded = (handler: (request: Request) => Promise<Response>) =>
      toNodeHandler(async (request) => {
        const body = await request.clone().text();
        const response = await handler(request);
        const answer = response.headers.get('content-type')?.includes('json') ? await response.clone().text() : '';
        seen.push({ url: request.url, body, secretHeader: request.headers.get('x-stream-cancel-secret'), answer });
        return response;
      });
    const chat = recorded((request) => handleModelStream(request, { registry, upstream: (signal) => model.stream(signal) }));
    const cancel = recorded((request) => handleCancel(request, { registry }));
    const http = createServer((req, res) => (req.url === '/cancel' ? cancel(req, res) : chat(req, res)));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    const logged: string[] = [];
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(' ')));
    }
    try {
      const session = createStreamSession({ api: `${url}/chat`, cancelApi: `${url}/cancel`, body: '{"q":"hi"}' });
      const done = session.start();
      await vi.waitFor(() => expect(session.getSnapshot().message.text.length).toBeGreaterThan(0), { timeout: 10_000 });
      expect(await session.stop()).toEqual({ serverConfirmed: true });
      await done;
      const secret = session.cancelSecret;
      expect(seen.map((r) => new URL(r.url).pathname)).toEqual(['/chat', '/cancel']);
      for (const request of seen) {
        expect(request.url).not.toContain(secret);
        expect(request.body).not.toContain(secret);
        expect(request.answer).not.toContain(secret);
        expect(request.secretHeader).toBe(secret);
      }
      for (const line of logged) expect(line).not.toContain(secret);
    } finally {
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
      registry.close?.();
    }
  });

  it('text is rendered as text everywhere: no dangerouslySetInnerHTML or innerHTML in the library, stories or demo', () => {
    const files = ['src', 'stories', 'demo'].flatMap((dir) => sourceFiles(join(ROOT, dir)));
    expect(files.length).toBeGreaterThan(20);
    const offenders = files.filter((file) => /dangerouslySetInnerHTML|\.innerHTML\s*=|insertAdjacentHTML/.test(readFileSync(file, 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('the demo server listens on 127.0.0.1 unless HOST says otherwise', () => {
    const source = readFileSync(join(ROOT, 'demo', 'server.mjs'), 'utf8');
    expect(source).toMatch(/const host = process\.env\.HOST \?\? '127\.0\.0\.1';/);
    expect(source).not.toMatch(/listen\(\s*port\s*\)/);
  });
});
