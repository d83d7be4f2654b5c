// `npm run demo`: one process on 127.0.0.1 (port 5173, or PORT) serving the demo page through Vite
// and the API made of the library's server helpers over the embedded fake model.
//
// The cancel endpoint is served twice: on the page's own origin, and on a second origin (another
// port: CANCEL_PORT, default any free one) that the page uses by default. Why: over HTTP/1.1 a
// browser opens at most 6 connections per host, so with six streams open a cancel request to the
// same host would wait behind them. The library handles that on one origin too (a Stop frees its
// own connection first; docs/session.md), and a second origin, with its own connection pool, avoids
// the queue altogether: the demo shows both (`?cancelOrigin=same`, docs/e2e.md). Over HTTP/2 (any
// HTTPS deployment behind a modern proxy) all requests share one connection and neither is needed.
import { createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer as createVite } from 'vite';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const port = Number(process.env.PORT ?? 5173);
const cancelPortWanted = Number(process.env.CANCEL_PORT ?? 0);
const host = process.env.HOST ?? '127.0.0.1';
let cancelPort = null;

/**
 * Vite's client opens a WebSocket to its server even without HMR, on port 24678 by default in
 * middleware mode: a second demo instance (the e2e tests run several, on one redis-server) would
 * send its pages to the first one's socket, which refuses their token. Each instance gets a free
 * port of its own (or VITE_WS_PORT).
 */
async function freePort() {
  const probe = createNetServer();
  await new Promise((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, host, resolve);
  });
  const { port: free } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return free;
}
const wsPort = Number(process.env.VITE_WS_PORT ?? 0) || (await freePort());

const vite = await createVite({
  root: join(root, 'demo'),
  configFile: join(root, 'demo', 'vite.config.ts'),
  // No HMR: the demo is a showcase, and a second instance (tests) must not fight over its port.
  server: { middlewareMode: true, hmr: false, ws: { port: wsPort, host } },
  appType: 'spa',
  logLevel: 'warn',
  plugins: [
    {
      // Tells the page where the second cancel origin listens (see the top of this file).
      name: 'demo-config',
      transformIndexHtml: () => [
        { tag: 'script', children: `window.__DEMO__ = ${JSON.stringify({ cancelPort })};`, injectTo: 'head-prepend' },
      ],
    },
  ],
});

const { toNodeHandler } = await vite.ssrLoadModule(join(root, 'src/server/index.ts'));
const api = await vite.ssrLoadModule(join(root, 'demo/api.ts'));
const chat = toNodeHandler((request) => api.chat(request));
const cancel = toNodeHandler((request) => api.cancel(request));
const resume = toNodeHandler((request) => api.resume(request));
const toolChat = toNodeHandler((request) => api.toolChat(request));

/** The open responses of each stream (its first answer and its resumes), for "drop the connection". */
const openResponses = new Map();

function track(id, res) {
  if (!id) return;
  const set = openResponses.get(id) ?? new Set();
  set.add(res);
  openResponses.set(id, set);
  res.on('close', () => {
    set.delete(res);
    if (set.size === 0) openResponses.delete(id);
  });
}

function handleChat(req, res) {
  const streamId = req.headers['x-stream-id'];
  const id = typeof streamId === 'string' ? streamId : undefined;
  // Logged so that the order "cancel arrived → connection closed" can be checked in /api/debug.
  res.on('close', () => api.connectionClosed(id, res.writableFinished ? 'complete' : 'client'));
  track(id, res);
  chat(req, res);
}

function handleResume(req, res) {
  track(new URL(req.url ?? '/', 'http://x').searchParams.get('streamId') ?? undefined, res);
  resume(req, res);
}

/**
 * POST /api/chat/drop?streamId=…: the network blinks. Destroys the sockets of the stream's open
 * responses mid-answer, as a dropped connection would, without telling the library: the page sees
 * a broken stream and resumes (the demo's "Drop the connection" button, and the e2e tests).
 */
function handleDrop(req, res) {
  const id = new URL(req.url ?? '/', 'http://x').searchParams.get('streamId');
  const open = id ? [...(openResponses.get(id) ?? [])] : [];
  for (const response of open) response.socket?.destroy();
  api.record(`dropped ${open.length} connection(s)`, id ?? undefined);
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify({ dropped: open.length }));
}

const server = createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0];
  if (path === '/api/chat') return handleChat(req, res);
  if (path === '/api/chat/cancel') return cancel(req, res);
  // The tool run's steps (the "Tool run" panel): the fake model scripted by the history it is sent.
  if (path === '/api/tools/chat') {
    const streamId = req.headers['x-stream-id'];
    res.on('close', () => api.connectionClosed(typeof streamId === 'string' ? streamId : undefined, res.writableFinished ? 'complete' : 'client'));
    return toolChat(req, res);
  }
  if (path === '/api/chat/resume') return handleResume(req, res);
  if (path === '/api/chat/drop' && req.method === 'POST') return handleDrop(req, res);
  if (path === '/api/debug' && req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    return res.end(JSON.stringify(api.debug()));
  }
  vite.middlewares(req, res);
});

/**
 * The page origin allowed to call the second cancel origin: the demo page itself, by whatever host
 * name the browser used (the page builds the cancel URL from its own `location.hostname`, so the
 * cancel request's Host names the same host, on the cancel port).
 */
function pageOriginOf(request) {
  const hostname = (request.headers.get('host') ?? '').replace(/:\d+$/, '');
  return hostname ? `http://${hostname}:${server.address()?.port}` : null;
}

// The second origin: only the cancel endpoint. Its CORS (the preflight a cross-origin JSON POST with
// a custom header needs, cached 10 minutes) is the library's `cors` option of `handleCancel`.
const crossOriginCancel = toNodeHandler((request) => api.cancel(request, { origin: (origin) => origin === pageOriginOf(request), maxAgeSeconds: 600 }));
const cancelServer = createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0];
  if (path !== '/api/chat/cancel') {
    res.writeHead(404, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ error: 'This origin serves only POST /api/chat/cancel.' }));
  }
  // Lets the page read the cancel's resource timing (the e2e tests measure its queueing).
  if (typeof req.headers.origin === 'string') res.setHeader('timing-allow-origin', req.headers.origin);
  crossOriginCancel(req, res);
});

await new Promise((resolve, reject) => {
  cancelServer.once('error', reject);
  cancelServer.listen(cancelPortWanted, host, resolve);
});
cancelPort = cancelServer.address().port;

server.listen(port, host, () => {
  const mode = process.env.OPENAI_API_KEY ? 'OpenAI (OPENAI_API_KEY)' : process.env.ANTHROPIC_API_KEY ? 'Anthropic (ANTHROPIC_API_KEY)' : 'the embedded fake model';
  console.log(`react-model-stream demo: http://${host}:${server.address().port}/  (model: ${mode}; cancel origin :${cancelPort}; Ctrl-C to stop)`);
});

let closing = false;
const shutdown = async () => {
  if (closing) return;
  closing = true;
  server.close();
  cancelServer.close();
  server.closeAllConnections?.();
  cancelServer.closeAllConnections?.();
  api.closeApi();
  await vite.close();
  process.exit(0);
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
