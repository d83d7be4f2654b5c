import { createServer } from 'node:http';
import { createFakeModel, createStreamRegistry, handleModelStream, toNodeHandler } from '../dist/server/index.js';
const words = (n) => Array.from({ length: n }, (_, i) => `word${i % 97} `).join('');
const registry = createStreamRegistry();
const h = toNodeHandler((request) => {
  const url = new URL(request.url);
  const tokens = Number(url.searchParams.get('tokens'));
  const resume = url.searchParams.get('resume') === '1' ? {} : false;
  const model = createFakeModel({ protocol: 'openai-chat', intervalMs: 0, script: { text: words(tokens), inputTokens: 10 } });
  return handleModelStream(request, { registry, protocol: 'openai-chat', resume, upstream: (s) => model.stream(s) });
});
const server = createServer(h);
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${server.address().port}`;
let n = 0;
for (const tokens of [5000, 20000, 40000]) {
  for (const mode of ['0', '1', '0', '1']) {
    const t = performance.now();
    const res = await fetch(`${url}/?tokens=${tokens}&resume=${mode}`, { method: 'POST', headers: { 'x-stream-id': `s${++n}`, 'x-stream-cancel-secret': 'secret-0123456789abcdef' }, body: '{}' });
    const b = new Uint8Array(await res.arrayBuffer());
    const ms = performance.now() - t;
    console.log(tokens, mode, (b.length / 1e6).toFixed(1), 'MB', (b.length / 1e6 / (ms / 1000)).toFixed(2), 'MB/s');
  }
}
server.close(); server.closeAllConnections(); await registry.close();
