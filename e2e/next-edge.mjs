// `node e2e/next-edge.mjs [--patch-next] [--dev] [--keep]`: the server helpers in Next.js route
// handlers with `runtime = 'edge'`, against a real `next build && next start` (docs/server.md, "Edge
// runtime"). Not part of `npm test`: it installs Next from the npm registry into a temporary app
// (about 2 min on 2 cores: pack, npm install, next build, then the scenarios; 3 min with --dev
// and --patch-next).
//
// It packs this library, writes a minimal app-router app (Next 16.4.6, React 19.3.1) and measures,
// for each scenario: the cancel endpoint's answer, the client's `serverConfirmed`, the model output
// read by the route after the Stop (every upstream chunk is logged by the route, with its time), and
// the `uncaughtException`s of the server process (a preload prints each one with its origin and raw
// stack before Next's own handler logs it).
//
// The routes:
//   /api/chat + /api/chat/cancel   two edge route files importing one `registry` module (each
//                                  route runs in its own isolate, so each has its own registry);
//   /api/same (+ ?cancel)          the stream and its cancel in ONE edge route file (one isolate);
//   /api/node/chat + …/cancel      the same two files on the Node runtime;
//   /api/plain                     an edge event stream with no library code.
//
// --patch-next  also runs the scenarios that log on a Next whose request-body graft keeps the
//               request's own listener table: they then show no uncaught exception.
// --dev         also runs a few scenarios against `next dev`.
// --keep        keeps the temporary app (its path is printed).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const patchNext = process.argv.includes('--patch-next');
const keep = process.argv.includes('--keep');
const dev = process.argv.includes('--dev');
const NEXT = '16.4.6';
const REACT = '19.3.1';
const started = Date.now();
const lap = (label) => console.log(`# ${label} (${((Date.now() - started) / 1000).toFixed(1)} s)`);

function run(command, args, cwd) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status !== 0) {
    console.error(result.stdout, result.stderr);
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}`);
  }
  return result.stdout;
}

const app = mkdtempSync(join(tmpdir(), 'rms-next-edge-'));
const write = (path, text) => {
  mkdirSync(dirname(join(app, path)), { recursive: true });
  writeFileSync(join(app, path), text);
};

// ---- the app ------------------------------------------------------------------------------------
run('npm', ['run', 'build'], ROOT);
run('npm', ['pack', '--pack-destination', app], ROOT);
const tarball = readdirSync(app).find((name) => name.endsWith('.tgz'));
lap('library built and packed');

write(
  'package.json',
  JSON.stringify({
    name: 'rms-next-edge',
    private: true,
    type: 'module',
    dependencies: { next: NEXT, react: REACT, 'react-dom': REACT, 'react-model-stream': `file:./${tarball}` },
  }),
);
write('next.config.mjs', 'export default {};\n');
write('app/layout.tsx', 'export default function Layout({ children }: { children: React.ReactNode }) {\n  return <html lang="en"><body>{children}</body></html>;\n}\n');
write('app/page.tsx', 'export default function Page() {\n  return <p>edge</p>;\n}\n');
write(
  'lib/trace.ts',
  `// Logs every chunk of the model's answer that the route reads, and how the answer ended, so the
// test can count what the model produced after a Stop.
export function traced(request: Request, answer: Response): Response {
  const id = request.headers.get('x-stream-id');
  const reader = answer.body!.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          console.log(\`[model-end] \${id} finished \${Date.now()}\`);
          controller.close();
          return;
        }
        console.log(\`[model-chunk] \${id} \${Date.now()}\`);
        controller.enqueue(value);
      } catch (error) {
        console.log(\`[model-end] \${id} aborted \${Date.now()}\`);
        controller.error(error);
      }
    },
    cancel(reason) {
      console.log(\`[model-end] \${id} cancelled \${Date.now()}\`);
      return reader.cancel(reason);
    },
  });
  return new Response(body, { status: answer.status, headers: answer.headers });
}

export const modeOf = (request: Request) => (new URL(request.url).searchParams.get('mode') === 'continue' ? 'continue' : 'abort');
`,
);
write(
  'lib/chat.ts',
  `import { createFakeModel, createStreamRegistry, handleModelStream } from 'react-model-stream/server';
import { modeOf, traced } from './trace';

// One module, imported by the stream route and by the cancel route: still one registry per isolate.
export const registry = createStreamRegistry();
const model = createFakeModel({ protocol: 'openai-chat', tokensPerSecond: 20 });

export function chat(request: Request) {
  return handleModelStream(request, {
    registry,
    protocol: 'openai-chat',
    onDisconnect: modeOf(request),
    upstream: (signal) => traced(request, model.stream(signal)),
  });
}
`,
);
for (const [dir, runtime, depth] of [
  ['app/api/chat', 'edge', '../../..'],
  ['app/api/node/chat', 'nodejs', '../../../..'],
]) {
  write(
    `${dir}/route.ts`,
    `import { chat } from '${depth}/lib/chat';
export const runtime = '${runtime}';
export function POST(request: Request) {
  return chat(request);
}
`,
  );
  write(
    `${dir}/cancel/route.ts`,
    `import { handleCancel } from 'react-model-stream/server';
import { registry } from '${depth}/../lib/chat';
export const runtime = '${runtime}';
export function POST(request: Request) {
  return handleCancel(request, { registry });
}
`,
  );
}
// The pattern of docs/server.md, "Edge runtime": the stream and its cancel in one route file.
write(
  'app/api/same/route.ts',
  `import { createFakeModel, createStreamRegistry, handleCancel, handleModelStream } from 'react-model-stream/server';
import { modeOf, traced } from '../../../lib/trace';

export const runtime = 'edge';
const registry = createStreamRegistry();
const model = createFakeModel({ protocol: 'openai-chat', tokensPerSecond: 20 });

export async function POST(request: Request) {
  if (new URL(request.url).searchParams.has('cancel')) return handleCancel(request, { registry });
  return handleModelStream(request, {
    registry,
    protocol: 'openai-chat',
    onDisconnect: modeOf(request),
    upstream: (signal) => traced(request, model.stream(signal)),
  });
}
`,
);
write(
  'app/api/plain/route.ts',
  `// No library code: a ticking event stream.
export const runtime = 'edge';
function ticking() {
  let timer: ReturnType<typeof setInterval> | undefined;
  let i = 0;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      timer = setInterval(() => {
        try {
          controller.enqueue(new TextEncoder().encode(\`data: \${i++}\\n\\n\`));
        } catch {
          clearInterval(timer);
        }
      }, 50);
    },
    cancel() {
      clearInterval(timer);
    },
  });
}
const answer = () => new Response(ticking(), { headers: { 'content-type': 'text/event-stream' } });
export const POST = answer;
export const GET = answer;
`,
);
write(
  'trace.cjs',
  `process.on('uncaughtException', (error, origin) => {
  const saved = Error.prepareStackTrace;
  Error.prepareStackTrace = undefined;
  const stack = String(error && error.stack).split('\\n').slice(0, 3).join(' | ');
  Error.prepareStackTrace = saved;
  process.stderr.write(\`[uncaught] \${origin} \${error && error.code} \${stack}\\n\`);
});
`,
);

run('npm', ['install', '--no-audit', '--no-fund'], app);
lap(`installed next ${NEXT}`);
run(process.execPath, ['node_modules/next/dist/bin/next', 'build'], app);
lap('next build');

// ---- the server -----------------------------------------------------------------------------------
const freePort = () =>
  new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });

let server = null;
let stdout = '';
let stderr = '';
/** `next start` (or `next dev`); the preload in NODE_OPTIONS also reaches a server process Next forks. */
async function startNext(command) {
  const port = await freePort();
  stdout = '';
  stderr = '';
  server = spawn(process.execPath, ['node_modules/next/dist/bin/next', command, '-H', '127.0.0.1', '-p', String(port)], {
    cwd: app,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: `--require ${join(app, 'trace.cjs')}`, NEXT_TELEMETRY_DISABLED: '1' },
    detached: true, // its own process group: `next dev` forks its server
  });
  server.stdout.on('data', (chunk) => (stdout += chunk));
  server.stderr.on('data', (chunk) => (stderr += chunk));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    try {
      await fetch(base);
      return base;
    } catch {
      await sleep(100);
    }
  }
  throw new Error(`next ${command} did not answer`);
}
async function stopNext() {
  if (!server) return;
  const exited = new Promise((resolve) => server.once('exit', resolve));
  process.kill(-server.pid, 'SIGTERM');
  await exited;
  server = null;
}
process.on('exit', () => {
  if (server) process.kill(-server.pid, 'SIGKILL');
});

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const uncaughtCount = () => stderr.split('\n').filter((line) => line.startsWith('[uncaught]')).length;
/** The route's log of one stream's model output: chunk times, and how it ended. */
function modelLog(streamId) {
  const chunks = [];
  let end = null;
  for (const line of stdout.split('\n')) {
    const [tag, id, a, b] = line.trim().split(' ');
    if (id !== streamId) continue;
    if (tag === '[model-chunk]') chunks.push(Number(a));
    else if (tag === '[model-end]') end = { how: a, at: Number(b) };
  }
  return { chunks, end };
}

// ---- the client -------------------------------------------------------------------------------------
const { createStreamSession } = await import(join(app, 'node_modules/react-model-stream/dist/core/index.js'));

/** Reads three chunks, then closes the connection (what a local abort or a closed tab does). */
async function closeMidStream(base, path, method = 'POST') {
  const abort = new AbortController();
  const init = {
    method,
    signal: abort.signal,
    headers: { 'x-stream-id': crypto.randomUUID(), 'x-stream-cancel-secret': Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString('base64url') },
  };
  if (method === 'POST') {
    init.body = '{"input":"hi"}';
    init.headers['content-type'] = 'application/json';
  }
  const response = await fetch(base + path, init);
  const reader = response.body.getReader();
  for (let i = 0; i < 3; i++) await reader.read();
  abort.abort();
  return [{ closed: `${response.status}, closed after 3 chunks` }];
}

/** The library's own Stop (useModelStream's session, defaults) once some text arrived. */
async function stopOne(base, api, cancelApi) {
  let cancelAnswer = 'none';
  const cancelUrl = base + cancelApi;
  const session = createStreamSession({
    api: base + api,
    cancelApi: cancelUrl,
    body: '{"input":"hi"}',
    headers: { 'content-type': 'application/json' },
    protocol: 'openai-chat',
    throttle: false,
    // The default cancel, through a fetch that notes the cancel endpoint's answer.
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      if (String(input) === cancelUrl) {
        const text = await response.clone().text();
        let status = '?';
        try {
          status = JSON.parse(text).status;
        } catch {}
        cancelAnswer = `${response.status} ${status}`;
      }
      return response;
    },
  });
  const final = session.start();
  await new Promise((resolve) => {
    const unsubscribe = session.subscribe(() => {
      if (session.getSnapshot().message.text.length > 20) {
        unsubscribe();
        resolve();
      }
    });
  });
  const stopAt = Date.now();
  const stop = await session.stop();
  const stoppedAt = Date.now();
  const snapshot = await final;
  return { streamId: session.streamId, cancelAnswer, stop, stopAt, stoppedAt, errorType: snapshot.error?.type ?? null };
}

/** `count` streams at once, each stopped once text arrived; then `repeat` times over. */
async function stopMany(base, api, cancelApi, { count = 1, repeat = 1 } = {}) {
  const all = [];
  for (let r = 0; r < repeat; r++) {
    const runs = await Promise.all(Array.from({ length: count }, () => stopOne(base, api, cancelApi)));
    // Every model run has ended (stopped, or ran to its end) before the next round.
    for (let i = 0; i < 150 && runs.some((run) => modelLog(run.streamId).end === null); i++) await sleep(100);
    all.push(...runs);
  }
  return all;
}

const tally = (values) => {
  const counts = new Map();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts].map(([value, n]) => (n > 1 ? `${value} ×${n}` : String(value))).join(', ');
};
/** A table row's client columns from the runs of a scenario. */
function describe(runs) {
  if (runs[0].closed) return { runs: runs.length, cancel: '—', confirmed: '—', after: '—', model: tally(runs.map((run) => run.closed)) };
  const logs = runs.map((run) => ({ run, log: modelLog(run.streamId) }));
  return {
    runs: runs.length,
    cancel: tally(runs.map((run) => run.cancelAnswer)),
    confirmed: tally(runs.map((run) => `${run.stop.serverConfirmed}${run.errorType ? ` (${run.errorType})` : ''}`)),
    // Model chunks the route read after the client's stop() was called / after it resolved.
    after: tally(logs.map(({ run, log }) => `${log.chunks.filter((t) => t > run.stopAt).length}/${log.chunks.filter((t) => t > run.stoppedAt).length}`)),
    model: tally(logs.map(({ log }) => log.end?.how ?? 'no end logged')),
  };
}

const SAME = '/api/same';
const scenarios = [
  ['edge, no library, POST: client closes mid-stream', 1, (base) => closeMidStream(base, '/api/plain')],
  ['edge, no library, GET: client closes mid-stream', 0, (base) => closeMidStream(base, '/api/plain', 'GET')],
  ["edge handleModelStream 'abort': client closes mid-stream", 1, (base) => closeMidStream(base, '/api/chat?mode=abort')],
  ["edge handleModelStream 'continue': client closes mid-stream", 1, (base) => closeMidStream(base, '/api/chat?mode=continue')],
  ["edge, stream + cancel in one route file, 'abort': client closes mid-stream (no Stop)", 1, (base) => closeMidStream(base, `${SAME}?mode=abort`)],
  ["edge Stop, cancel in one route file with the stream, 'abort', 5 in a row", 0, (base) => stopMany(base, `${SAME}?mode=abort`, `${SAME}?cancel`, { repeat: 5 })],
  ["edge Stop, cancel in one route file with the stream, 'continue', 5 in a row", 0, (base) => stopMany(base, `${SAME}?mode=continue`, `${SAME}?cancel`, { repeat: 5 })],
  ["edge Stop, cancel in one route file with the stream, 'abort', 4 streams at once ×2", 0, (base) => stopMany(base, `${SAME}?mode=abort`, `${SAME}?cancel`, { count: 4, repeat: 2 })],
  ["edge Stop, cancel in one route file with the stream, 'continue', 4 streams at once ×2", 0, (base) => stopMany(base, `${SAME}?mode=continue`, `${SAME}?cancel`, { count: 4, repeat: 2 })],
  ["edge Stop, cancel route in its own file, 'abort', 3 in a row", 3, (base) => stopMany(base, '/api/chat?mode=abort', '/api/chat/cancel', { repeat: 3 })],
  ["edge Stop, cancel route in its own file, 'continue', 3 in a row", 3, (base) => stopMany(base, '/api/chat?mode=continue', '/api/chat/cancel', { repeat: 3 })],
  ['node handleModelStream: client closes mid-stream', 0, (base) => closeMidStream(base, '/api/node/chat')],
  ["node Stop, cancel route in its own file, 'abort', 3 in a row", 0, (base) => stopMany(base, '/api/node/chat?mode=abort', '/api/node/chat/cancel', { repeat: 3 })],
];

let failures = 0;
async function runScenarios(label, list, command = 'start') {
  const base = await startNext(command);
  if (command === 'dev') {
    // Compile every route before measuring (a first request waits for the compiler).
    // (Bodies without a stream id: every one is answered 400 at once.)
    for (const path of ['/api/chat', '/api/chat/cancel', SAME, `${SAME}?cancel`]) {
      const init = { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(120_000) };
      console.log(`# next dev: ${path} answered ${await fetch(base + path, init).then(async (r) => `${r.status} ${(await r.text()).slice(0, 60)}`)}`);
    }
    await sleep(1000);
  }
  console.log(
    `\n${label}\n| scenario | runs | cancel answer | serverConfirmed | model chunks read after stop() called / resolved | model run | uncaughtException (expected) |\n|---|---|---|---|---|---|---|`,
  );
  for (const [name, expected, scenario] of list) {
    const before = uncaughtCount();
    const row = describe(await scenario(base));
    await sleep(1200); // the connection's close reaches the server, and Next logs
    const seen = uncaughtCount() - before;
    if (seen !== expected) failures++;
    console.log(`| ${name} | ${row.runs} | ${row.cancel} | ${row.confirmed} | ${row.after} | ${row.model} | ${seen} (${expected})${seen === expected ? '' : ' MISMATCH'} |`);
  }
  const sample = stderr.split('\n').find((line) => line.startsWith('[uncaught]'));
  if (sample) console.log(`\nfirst one: ${sample}`);
  await stopNext();
}

try {
  await runScenarios(`next ${NEXT} (next start) as published`, scenarios);
  if (dev) {
    await runScenarios(
      `next ${NEXT} (next dev)`,
      scenarios.filter(([name]) => /^edge (Stop|handleModelStream 'abort')/.test(name) && !/at once/.test(name)),
      'dev',
    );
  }
  if (patchNext) {
    // The graft copies every enumerable member of the buffered body stream onto the
    // IncomingMessage, its listener table (`_events`) included; keep the request's own one.
    const file = join(app, 'node_modules/next/dist/server/body-streams.js');
    const source = readFileSync(file, 'utf8');
    const loop = /for\s*\(const key in stream\)\s*\{/;
    if (!loop.test(source)) throw new Error(`the graft loop was not found in ${file}`);
    writeFileSync(file, source.replace(loop, (m) => `${m} if (key === '_events' || key === '_eventsCount' || key === '_maxListeners') continue;`));
    await runScenarios(
      `next ${NEXT} (next start) with the graft keeping the request's listener table (--patch-next)`,
      scenarios.filter(([, expected]) => expected > 0).map(([name, , scenario]) => [name, 0, scenario]),
    );
  }
} finally {
  await stopNext();
  if (keep) console.log(`\nkept: ${app}`);
  else rmSync(app, { recursive: true, force: true });
}
lap(failures ? `${failures} scenario(s) did not match` : 'all scenarios as expected');
process.exitCode = failures ? 1 : 0;
