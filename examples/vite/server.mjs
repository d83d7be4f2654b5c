// node server.mjs: the API of the Vite example on http://127.0.0.1:3001 (API_PORT), plain Node.
import { createServer } from 'node:http';
import { toModelMessages } from 'react-model-stream';
import { createFakeModel, createStreamRegistry, handleCancel, handleModelStream, toNodeHandler } from 'react-model-stream/server';

const port = Number(process.env.API_PORT ?? 3001);
const registry = createStreamRegistry();
// No key? A deterministic fake model (20 tokens/s) that stops the moment its signal is aborted.
const fakeModel = createFakeModel({ protocol: 'openai-chat', tokensPerSecond: 20 });

/** Starts the model's answer; aborting `signal` stops the provider generating (and billing). */
function callModel(input, history, signal) {
  const anthropic = !process.env.OPENAI_API_KEY && Boolean(process.env.ANTHROPIC_API_KEY);
  const messages = [
    ...toModelMessages(history, { format: anthropic ? 'anthropic' : 'openai-chat', incomplete: { toolCalls: 'close', note: true } }),
    { role: 'user', content: input },
  ];
  if (process.env.OPENAI_API_KEY) {
    return fetch('https://api.openai.com/v1/chat/completions', {
      method: 'POST',
      signal,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${process.env.OPENAI_API_KEY}` },
      body: JSON.stringify({ model: 'gpt-4.1-mini', stream: true, stream_options: { include_usage: true }, messages }),
    });
  }
  if (anthropic) {
    return fetch('https://api.anthropic.com/v1/messages', {
      method: 'POST',
      signal,
      headers: { 'content-type': 'application/json', 'x-api-key': process.env.ANTHROPIC_API_KEY, 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 1024, stream: true, messages }),
    });
  }
  return fakeModel.stream(signal);
}

const chat = toNodeHandler(async (request) => {
  const { input, messages } = await request.clone().json();
  return handleModelStream(request, { registry, upstream: (signal) => callModel(input, messages, signal) });
});
const cancel = toNodeHandler((request) => handleCancel(request, { registry }));

createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (req.method === 'POST' && path === '/api/chat') return chat(req, res);
  if (req.method === 'POST' && path === '/api/chat/cancel') return cancel(req, res);
  if (req.method === 'GET' && path === '/api/debug') {
    // For the repository's e2e test (not needed in your app): what the fake model generated per answer.
    const runs = fakeModel.runs.map(({ id, tokens, abortedAt, tokensAfterAbort, finished }) => ({ id, tokens, aborted: abortedAt !== null, tokensAfterAbort, finished }));
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ runs, registrySize: registry.size() }));
  }
  res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
}).listen(port, '127.0.0.1', () => console.log(`API on http://127.0.0.1:${port}`));
