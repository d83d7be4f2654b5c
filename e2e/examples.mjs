// `node e2e/examples.mjs` (run by `npm run e2e` after e2e/run.mjs; `npm run e2e:examples` alone):
// the example apps of examples/ installed and driven like a user's app.
//
// For each example: the library is built and packed once (`npm pack`), the example's files are copied
// into a scratch directory outside the repository (so nothing of the repository's node_modules can be
// found by the app) with the tarball as `react-model-stream.tgz` (the path the example's
// package.json names), then `npm install --prefer-offline`, a production build (`next build`,
// `vite build`), the production server, and one scenario in Debian's Chromium: send, the text
// streams, Stop, the model stops on the server (0–1 tokens after the cancel, from the example's
// debug route over the fake model's run records), the turn shows "Stopped · server confirmed", a
// second answer cut by a reload shows "Disconnected", and after the reload both turns and their
// marks are there. Timings (install, build, drive) are printed and written to
// e2e/screenshots/examples.json.
//
// EXAMPLES=next (or vite) runs one; E2E_KEEP=1 keeps the scratch directories (their paths are printed).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodeTest, { after, before } from 'node:test';
import { CHROMIUM, CHROMIUM_ARGS, ROOT, SCREENSHOTS, freePort, sleep, waitRaf, withPage } from './harness.mjs';

if (!existsSync(CHROMIUM)) {
  console.log('E2E SKIPPED: /usr/bin/chromium not found (apt-get install -y chromium)');
  process.exit(0);
}
const { chromium } = await import('playwright-core');

const only = process.env.EXAMPLES ? process.env.EXAMPLES.split(',') : ['next', 'vite'];
const keep = process.env.E2E_KEEP === '1';
const scratch = mkdtempSync(join(tmpdir(), 'rms-examples-'));
const figures = {};
let browser;
let tarball;
/** Servers started here, stopped in after() (each in its own process group). */
const servers = [];

const test = (name, fn) => nodeTest(name, { timeout: 600_000 }, fn);
const seconds = (ms) => Math.round(ms / 100) / 10;

function run(command, args, cwd, env = {}) {
  const started = Date.now();
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd} (exit ${result.status}):\n${result.stdout.slice(-3000)}\n${result.stderr.slice(-3000)}`);
  }
  return Date.now() - started;
}

/** The example's files (not its node_modules, build output or tarball) and the packed library, in a scratch directory. */
function prepare(name) {
  const app = join(scratch, name);
  cpSync(join(ROOT, 'examples', name), app, {
    recursive: true,
    filter: (source) => !/[/\\](node_modules|\.next|dist|package-lock\.json|react-model-stream\.tgz)$/.test(source),
  });
  cpSync(tarball, join(app, 'react-model-stream.tgz'));
  const installMs = run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], app);
  return { app, installMs };
}

/** Starts `command` in `cwd` in its own process group and polls `url` until it answers. */
async function startServer(command, args, cwd, url, env = {}) {
  const log = [];
  const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', ...env } });
  child.stdout.on('data', (chunk) => log.push(String(chunk)));
  child.stderr.on('data', (chunk) => log.push(String(chunk)));
  let exited = null;
  child.once('exit', (code, signal) => (exited = { code, signal }));
  const server = {
    child,
    log,
    async stop() {
      if (exited) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        return;
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }, 3000);
      await gone;
      clearTimeout(timer);
    },
    assertAlive() {
      if (exited) throw new Error(`${command} ${args.join(' ')} exited (${JSON.stringify(exited)}):\n${log.join('').slice(-3000)}`);
    },
  };
  servers.push(server);
  const started = Date.now();
  for (;;) {
    server.assertAlive();
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
      await response.arrayBuffer();
      if (response.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() - started > 60_000) throw new Error(`${command} ${args.join(' ')} did not answer on ${url}:\n${log.join('').slice(-3000)}`);
    await sleep(100);
  }
  return { ...server, startupMs: Date.now() - started };
}

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const started = Date.now();
  run('npm', ['run', 'build'], ROOT);
  run('npm', ['pack', '--pack-destination', scratch, '--loglevel=error'], ROOT);
  const packed = readdirSync(scratch).find((file) => /^react-model-stream-.*\.tgz$/.test(file));
  assert.ok(packed, 'npm pack made a tarball');
  tarball = join(scratch, 'react-model-stream.tgz');
  renameSync(join(scratch, packed), tarball);
  figures.libraryBuildAndPackMs = Date.now() - started;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  figures.chromium = browser.version();
});

after(async () => {
  await browser?.close().catch(() => {});
  for (const server of servers) await server.stop();
  writeFileSync(join(SCREENSHOTS, 'examples.json'), `${JSON.stringify(figures, null, 2)}\n`);
  if (keep) console.log(`# kept: ${scratch}`);
  else rmSync(scratch, { recursive: true, force: true });
});

// ---- the scenario, the same for every example --------------------------------------------------

const turns = (page) =>
  page.evaluate(() =>
    [...document.querySelectorAll('li.turn')].map((li) => ({
      role: li.getAttribute('data-role'),
      status: li.getAttribute('data-status'),
      text: li.querySelector('p')?.textContent ?? '',
      mark: li.querySelector('.mark')?.textContent ?? null,
      reason: li.querySelector('.mark')?.getAttribute('data-reason') ?? null,
    })),
  );

/** The text of the last answer, once it has at least `chars` characters. */
async function waitForAnswerText(page, chars) {
  try {
    await waitRaf(page, (n) => (document.querySelector('li.turn[data-role="assistant"]:last-child p')?.textContent ?? '').length >= n, chars, 15_000);
  } catch (error) {
    error.message += `\nThe turns the page shows: ${JSON.stringify(await turns(page))}`;
    throw error;
  }
}

/** The last assistant turn's mark of this reason. */
async function waitForMark(page, reason, timeout = 10_000) {
  await waitRaf(page, (r) => document.querySelector('li.turn[data-role="assistant"]:last-child .mark')?.getAttribute('data-reason') === r, reason, timeout);
}

async function debugOf(base) {
  return (await fetch(new URL('/api/debug', base))).json();
}

/** Polls the example's debug route until the fake model's run `index` has ended (aborted or finished). */
async function waitForRun(base, index) {
  const started = Date.now();
  for (;;) {
    const { runs, registrySize } = await debugOf(base);
    const run = runs[index];
    if (run && (run.aborted || run.finished) && registrySize === 0) return run;
    if (Date.now() - started > 5000) throw new Error(`the model's run ${index} did not end: ${JSON.stringify({ runs, registrySize })}`);
    await sleep(50);
  }
}

async function drive(t, name, base, server) {
  const started = Date.now();
  const result = {};
  await withPage(
    browser,
    `example-${name}`,
    async ({ page }) => {
      await page.goto(base);
      const prompt = page.getByRole('textbox', { name: 'Message' });
      await prompt.waitFor();
      // Wait for hydration: the Stop button is rendered by React on the client too (disabled, idle).
      const stop = page.getByRole('button', { name: 'Stop' });
      await waitRaf(page, () => document.querySelector('.stop')?.getAttribute('data-state') === 'idle');
      const box = await stop.boundingBox();
      assert.ok(box && box.width >= 40 && box.height >= 24, `the Stop button is visible with its label: ${JSON.stringify(box)}`);
      const runsBefore = (await debugOf(base)).runs.length;

      // 1. Send; the text streams; Stop.
      await page.getByRole('button', { name: 'Send' }).click();
      await waitForAnswerText(page, 40);
      assert.equal(await stop.getAttribute('data-state'), 'streaming');
      await stop.click();
      await waitForMark(page, 'cancelled');
      const stoppedText = (await turns(page)).at(-1).text;
      await sleep(500);
      const afterStop = await turns(page);
      assert.deepEqual(
        afterStop.map(({ role, mark }) => ({ role, mark })),
        [
          { role: 'user', mark: null },
          { role: 'assistant', mark: 'Stopped · server confirmed' },
        ],
      );
      assert.equal(afterStop.at(-1).text, stoppedText, 'the stopped text does not grow');
      assert.equal(await stop.getAttribute('data-state'), 'idle');
      // The model stopped on the server: aborted, not finished, 0–1 tokens after the cancel.
      const stopped = await waitForRun(base, runsBefore);
      assert.equal(stopped.aborted, true, 'the server aborted the model');
      assert.equal(stopped.finished, false, 'the model did not run to its end');
      assert.ok(stopped.tokensAfterAbort <= 1, `tokens after the cancel: ${stopped.tokensAfterAbort}`);
      await page.screenshot({ path: join(SCREENSHOTS, `example-${name}-stopped.png`) });

      // 2. A second answer, cut by a reload: back as "Disconnected", and the first still "Stopped".
      await page.getByRole('button', { name: 'Send' }).click();
      await waitRaf(page, () => document.querySelectorAll('li.turn').length === 4);
      await waitForAnswerText(page, 40);
      const cutText = (await turns(page)).at(-1).text;
      await page.reload();
      await page.getByRole('textbox', { name: 'Message' }).waitFor();
      await waitForMark(page, 'disconnected');
      const afterReload = await turns(page);
      assert.deepEqual(
        afterReload.map(({ role, status, mark }) => ({ role, status, mark })),
        [
          { role: 'user', status: 'complete', mark: null },
          { role: 'assistant', status: 'incomplete', mark: 'Stopped · server confirmed' },
          { role: 'user', status: 'complete', mark: null },
          { role: 'assistant', status: 'incomplete', mark: 'Disconnected' },
        ],
      );
      assert.equal(afterReload[1].text, stoppedText, 'the stopped answer came back as it was shown');
      assert.ok(afterReload[3].text.startsWith(cutText.slice(0, 40)), 'the cut answer came back');
      // The reload closed the connection: the server stopped that model too (onDisconnect: 'abort').
      const cut = await waitForRun(base, runsBefore + 1);
      assert.equal(cut.aborted, true, 'a reload aborts the model on the server');
      await page.screenshot({ path: join(SCREENSHOTS, `example-${name}-reloaded.png`) });
      Object.assign(result, { stoppedChars: stoppedText.length, tokensAfterCancel: stopped.tokensAfterAbort, tokensAtStop: stopped.tokens, tokensAfterReloadAbort: cut.tokensAfterAbort });
    },
    { server },
  );
  result.driveMs = Date.now() - started;
  return result;
}

async function example(t, name, { build, start }) {
  if (!only.includes(name)) return t.skip(`EXAMPLES=${only.join(',')}`);
  const { app, installMs } = prepare(name);
  const buildMs = run('npm', ['run', build, '--silent'], app);
  const port = await freePort();
  const { url, ...server } = await start(app, port);
  const { startupMs } = server;
  const driven = await drive(t, name, url, server);
  const values = { installS: seconds(installMs), buildS: seconds(buildMs), serverStartupS: seconds(startupMs), driveS: seconds(driven.driveMs), ...driven };
  delete values.driveMs;
  figures[name] = values;
  t.diagnostic(`${name}: ${JSON.stringify(values)}`);
}

test('examples/next: npm install from the packed tarball, next build, next start; send, Stop (server confirmed, the model stopped), reload: every turn and its mark', (t) =>
  example(t, 'next', {
    build: 'build',
    start: async (app, port) => {
      const url = `http://127.0.0.1:${port}/`;
      const server = await startServer(process.execPath, ['node_modules/next/dist/bin/next', 'start', '-H', '127.0.0.1', '-p', String(port)], app, url);
      return { url, ...server };
    },
  }));

test('examples/vite: npm install from the packed tarball, vite build, node server.mjs + vite preview (proxy); send, Stop (server confirmed, the model stopped), reload: every turn and its mark', (t) =>
  example(t, 'vite', {
    build: 'build',
    start: async (app, port) => {
      const apiPort = await freePort();
      const env = { API_PORT: String(apiPort) };
      await startServer(process.execPath, ['server.mjs'], app, `http://127.0.0.1:${apiPort}/api/debug`, env);
      const url = `http://127.0.0.1:${port}/`;
      const server = await startServer(process.execPath, ['node_modules/vite/bin/vite.js', 'preview', '--host', '127.0.0.1', '--port', String(port), '--strictPort'], app, url, env);
      return { url, ...server };
    },
  }));
