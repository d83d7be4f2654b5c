// The stream server of the render bench, run in a worker thread (its own event loop and, on a
// multi-core machine, its own core) so that its writes do not compete with React and the client's
// decoding on the main thread. One server and one content serve both contenders.
//
//   POST /full   all deltas as fast as the socket takes them: one `write` per delta, no delay,
//                waiting for 'drain' whenever `write` returns false (backpressure).
//   POST /paced  the deltas spread evenly over PACE_MS: a 1 ms timer loop writes, in one `write`,
//                every delta that is due by then (due = ceil(elapsed / PACE_MS * N)), so timer
//                jitter does not stretch the total; about 5 deltas per write at 1 ms ticks.
import { createServer } from 'node:http';
import { once } from 'node:events';
import { parentPort } from 'node:worker_threads';
import { aiSdkParts } from './content.mjs';

export const PACE_MS = 2000;

const { head, deltas, tail } = aiSdkParts();
const N = deltas.length;

const headers = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
  'x-vercel-ai-ui-message-stream': 'v1',
  'x-accel-buffering': 'no',
};

async function full(res) {
  res.write(head);
  for (let i = 0; i < N; i++) {
    if (res.destroyed) return;
    if (!res.write(deltas[i])) await once(res, 'drain');
  }
  res.end(tail);
}

function paced(res) {
  res.write(head);
  const t0 = performance.now();
  let i = 0;
  const tick = () => {
    if (res.destroyed) return;
    const due = Math.min(N, Math.ceil(((performance.now() - t0) / PACE_MS) * N));
    let chunk = '';
    while (i < due) chunk += deltas[i++];
    if (chunk) res.write(chunk);
    if (i < N) setTimeout(tick, 1);
    else res.end(tail);
  };
  setTimeout(tick, 1);
}

const server = createServer(async (req, res) => {
  // Read (and ignore) the request body: each client sends its own JSON.
  for await (const _ of req);
  if (req.method !== 'POST' || (req.url !== '/full' && req.url !== '/paced')) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, headers);
  res.flushHeaders();
  if (req.url === '/full') await full(res);
  else paced(res);
});

server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', (message) => {
  if (message === 'close') {
    server.closeAllConnections();
    server.close(() => parentPort.close());
  }
});
