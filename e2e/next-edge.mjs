// `node e2e/next-edge.mjs [--patch-next] [--keep]`: the server helpers in Next.js route handlers
// with `runtime = 'edge'`, against a real `next build && next start` (docs/server.md, "Edge
// runtime"). Not part of `npm test`: it installs Next from the npm registry into a temporary app
// (about 45 s on 2 cores: pack 7 s, npm install 12 s, next build 15 s, scenarios 10 s).
//
// It packs this library, writes a minimal app-router app (Next 16.4.6, React 19.3.1) and counts,
// for each scenario, the `uncaughtException`s of the `next start` process (a preload prints each
// one with its origin and raw stack before Next's own handler logs it).
//
// --patch-next  also runs the failing scenarios on a Next whose request-body graft keeps the
//               request's own listener table: they then show no uncaught exception.
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
  'lib/chat.ts',
  `import { createFakeModel, createStreamRegistry, handleModelStream } from 'react-model-stream/server';

export const registry = createStreamRegistry();
const model = createFakeModel({ protocol: 'openai-chat', tokensPerSecond: 20 });

export function chat(request: Request) {
  const onDisconnect = new URL(request.url).searchParams.get('mode') === 'continue' ? 'continue' : 'abort';
  return handleModelStream(request, { registry, protocol: 'openai-chat', onDisconnect, upstream: (signal) => model.stream(signal) });
}
`,
);
for (const [dir, runtime, depth] of [
  ['app/api/chat', 'edge', '../../..'],
  ['app/api/node/chat', 'nodejs', '../../../..'],
]) {
  write(
    `${dir}/route.ts`,
    `import { handleCancel } from 'react-model-stream/server';
import { chat, registry } from '${depth}/lib/chat';
export const runtime = '${runtime}';
export function POST(request: Request) {
  // Only to show what a cancel that reaches the stream's isolate changes: ?cancel=1 cancels here.
  if (new URL(request.url).searchParams.get('cancel') === '1') return handleCancel(request, { registry });
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
let stderr = '';
async function startNext() {
  const port = await freePort();
  stderr = '';
  server = spawn(process.execPath, ['--require', './trace.cjs', 'node_modules/next/dist/bin/next', 'start', '-H', '127.0.0.1', '-p', String(port)], {
    cwd: app,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  server.stderr.on('data', (chunk) => (stderr += chunk));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(base);
      return base;
    } catch {
      await sleep(100);
    }
  }
  throw new Error('next start did not answer');
}
async function stopNext() {
  if (!server) return;
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.kill();
  await exited;
  server = null;
}
process.on('exit', () => server?.kill());

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const uncaughtCount = () => stderr.split('\n').filter((line) => line.startsWith('[uncaught]')).length;

// ---- the client -------------------------------------------------------------------------------------
const { createStreamSession } = await import(join(app, 'node_modules/react-model-stream/dist/core/index.js'));

/** Reads three chunks, then closes the connection (what a local abort does). */
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
  return `${response.status}, closed after 3 chunks`;
}

/** The library's own Stop (useModelStream's session, defaults) once some text arrived. */
async function stopWithSession(base, api, cancelApi) {
  const session = createStreamSession({
    api: base + api,
    cancelApi: base + cancelApi,
    body: '{"input":"hi"}',
    headers: { 'content-type': 'application/json' },
    protocol: 'openai-chat',
    throttle: false,
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
  const at = performance.now();
  const stop = await session.stop();
  await final;
  return `serverConfirmed ${stop.serverConfirmed}, ${Math.round(performance.now() - at)} ms`;
}

const scenarios = [
  ['edge, no library, POST: client closes mid-stream', 1, (base) => closeMidStream(base, '/api/plain')],
  ['edge, no library, GET: client closes mid-stream', 0, (base) => closeMidStream(base, '/api/plain', 'GET')],
  ["edge handleModelStream 'abort': client closes mid-stream", 1, (base) => closeMidStream(base, '/api/chat?mode=abort')],
  ["edge handleModelStream 'continue': client closes mid-stream", 1, (base) => closeMidStream(base, '/api/chat?mode=continue')],
  ['edge Stop, cancel route in its own isolate (404 pending)', 1, (base) => stopWithSession(base, '/api/chat', '/api/chat/cancel')],
  ["edge Stop, cancel reaching the stream's isolate", 0, (base) => stopWithSession(base, '/api/chat', '/api/chat?cancel=1')],
  ['node handleModelStream: client closes mid-stream', 0, (base) => closeMidStream(base, '/api/node/chat')],
  ['node Stop, cancel route', 0, (base) => stopWithSession(base, '/api/node/chat', '/api/node/chat/cancel')],
];

let failures = 0;
async function runScenarios(label, list) {
  const base = await startNext();
  console.log(`\n${label}\n| scenario | client | uncaughtException (expected) |\n|---|---|---|`);
  for (const [name, expected, scenario] of list) {
    const before = uncaughtCount();
    const client = await scenario(base);
    await sleep(1200); // the connection's close reaches the server, and Next logs
    const seen = uncaughtCount() - before;
    if (seen !== expected) failures++;
    console.log(`| ${name} | ${client} | ${seen} (${expected})${seen === expected ? '' : ' MISMATCH'} |`);
  }
  const sample = stderr.split('\n').find((line) => line.startsWith('[uncaught]'));
  if (sample) console.log(`\nfirst one: ${sample}`);
  await stopNext();
}

try {
  await runScenarios(`next ${NEXT} as published`, scenarios);
  if (patchNext) {
    // The graft copies every enumerable member of the buffered body stream onto the
    // IncomingMessage, its listener table (`_events`) included; keep the request's own one.
    const file = join(app, 'node_modules/next/dist/server/body-streams.js');
    const source = readFileSync(file, 'utf8');
    const loop = /for\s*\(const key in stream\)\s*\{/;
    if (!loop.test(source)) throw new Error(`the graft loop was not found in ${file}`);
    writeFileSync(file, source.replace(loop, (m) => `${m} if (key === '_events' || key === '_eventsCount' || key === '_maxListeners') continue;`));
    await runScenarios(
      `next ${NEXT} with the graft keeping the request's listener table (--patch-next)`,
      scenarios.filter(([, expected]) => expected === 1).map(([name, , scenario]) => [name, 0, scenario]),
    );
  }
} finally {
  await stopNext();
  if (keep) console.log(`\nkept: ${app}`);
  else rmSync(app, { recursive: true, force: true });
}
lap(failures ? `${failures} scenario(s) did not match` : 'all scenarios as expected');
process.exitCode = failures ? 1 : 0;
