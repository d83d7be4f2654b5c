import { createServer } from 'node:http';
import { createFakeModel, createStreamRegistry, handleModelStream, toNodeHandler } from '../dist/server/index.js';
const words = (n) => Array.from({ length: n }, (_, i) => `word${i % 97} `).join('');
const registry = createStreamRegistry();
const mode = process.argv[2];
const h = toNodeHandler((request) => {
  const model = createFakeModel({ protocol: 'openai-chat', intervalMs: 0, script: { text: words(40000), inputTokens: 10 } });
  return handleModelStream(request, { registry, protocol: 'openai-chat', resume: mode === '1' ? {} : false, upstream: (s) => model.stream(s) });
});
const server = createServer(h);
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${server.address().port}`;
for (let i = 0; i < 2; i++) {
  const t = performance.now();
  const res = await fetch(url, { method: 'POST', headers: { 'x-stream-id': `s${i}`, 'x-stream-cancel-secret': 'secret-0123456789abcdef' }, body: '{}' });
  const b = new Uint8Array(await res.arrayBuffer());
  console.log(mode, (b.length / 1e6 / ((performance.now() - t) / 1000)).toFixed(2), 'MB/s');
}
server.close(); server.closeAllConnections(); await registry.close();
