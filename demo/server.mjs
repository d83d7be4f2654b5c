// `npm run demo`: one process on 127.0.0.1 (port 5173, or PORT) serving the demo page through Vite
// and the API made of the library's server helpers over the embedded fake model.
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer as createVite } from 'vite';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const port = Number(process.env.PORT ?? 5173);
const host = process.env.HOST ?? '127.0.0.1';

const vite = await createVite({
  root: join(root, 'demo'),
  configFile: join(root, 'demo', 'vite.config.ts'),
  // No HMR: the demo is a showcase, and a second instance (tests) must not fight over its port.
  server: { middlewareMode: true, hmr: false },
  appType: 'spa',
  logLevel: 'warn',
});

const { toNodeHandler } = await vite.ssrLoadModule(join(root, 'src/server/toNodeHandler.ts'));
const api = await vite.ssrLoadModule(join(root, 'demo/api.ts'));
const chat = toNodeHandler((request) => api.chat(request));
const cancel = toNodeHandler((request) => api.cancel(request));

const server = createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0];
  if (path === '/api/chat') return chat(req, res);
  if (path === '/api/chat/cancel') return cancel(req, res);
  if (path === '/api/debug' && req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify(api.debug()));
  }
  vite.middlewares(req, res);
});

server.listen(port, host, () => {
  const mode = process.env.OPENAI_API_KEY ? 'OpenAI (OPENAI_API_KEY)' : process.env.ANTHROPIC_API_KEY ? 'Anthropic (ANTHROPIC_API_KEY)' : 'the embedded fake model';
  console.log(`react-model-stream demo: http://${host}:${server.address().port}/  (model: ${mode}; Ctrl-C to stop)`);
});

const shutdown = async () => {
  server.close();
  server.closeAllConnections?.();
  api.closeApi();
  await vite.close();
  process.exit(0);
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
