// The e2e harness: the demo server on a free port, Debian's Chromium through playwright-core, a
// fresh browser context per scenario that fails on any console error, warning or page error, and
// screenshots in e2e/screenshots/ (ignored by git).
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const SCREENSHOTS = join(ROOT, 'e2e', 'screenshots');
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A port nobody listens on right now: bind port 0, read what the OS gave, release it. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Starts `node demo/server.mjs` on free ports (its own process group, so that it and anything it
 * spawned can be stopped together) and polls the page URL until it answers. Its output goes to
 * e2e/screenshots/server.log (or `logName`). `env`: extra environment for the server (e.g.
 * `REDIS_URL`, `DEMO_RESUME_TTL_MS`).
 */
export async function startDemoServer({ timeoutMs = 30_000, env = {}, logName = 'server.log' } = {}) {
  const port = await freePort();
  const cancelPort = await freePort();
  mkdirSync(SCREENSHOTS, { recursive: true });
  const logFile = createWriteStream(join(SCREENSHOTS, logName));
  const child = spawn(process.execPath, [join(ROOT, 'demo', 'server.mjs')], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), CANCEL_PORT: String(cancelPort), HOST: '127.0.0.1', FORCE_COLOR: '0', DEMO_QUIET: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  child.stdout.pipe(logFile);
  child.stderr.pipe(logFile);
  let exited = null;
  child.once('exit', (code, signal) => (exited = { code, signal }));

  const url = `http://127.0.0.1:${port}/`;
  const stop = async () => {
    if (exited || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      return; // already gone
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
  };
  // Last resort (an uncaught failure, Ctrl-C): never leave the server behind.
  const killNow = () => {
    if (exited || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // gone
    }
  };
  process.once('exit', killNow);
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      killNow();
      process.exit(130);
    });
  }

  const started = Date.now();
  for (;;) {
    if (exited) throw new Error(`The demo server exited before answering (${JSON.stringify(exited)}); see e2e/screenshots/${logName}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() - started > timeoutMs) {
      await stop();
      throw new Error(`The demo server did not answer on ${url} within ${timeoutMs} ms`);
    }
    await sleep(100);
  }
  /** Throws when the server process is gone (it crashed): a clear failure instead of timeouts. */
  const assertAlive = () => {
    if (exited) throw new Error(`The demo server exited mid-run (${JSON.stringify(exited)}); see e2e/screenshots/${logName}`);
  };
  return { url, port, cancelPort, pid: child.pid, startupMs: Date.now() - started, stop, assertAlive };
}

/** The server's log and per-stream figures (demo/api.ts `debug()`). */
export async function serverDebug(baseUrl) {
  const response = await fetch(new URL('/api/debug', baseUrl));
  return response.json();
}

/** Polls /api/debug until `predicate(stream)` holds for the stream with this id; returns that stream. */
export async function waitForServerStream(baseUrl, streamId, predicate, { timeoutMs = 5000 } = {}) {
  const started = Date.now();
  let last = null;
  for (;;) {
    const { streams } = await serverDebug(baseUrl);
    last = streams.find((s) => s.streamId === streamId) ?? null;
    if (last && predicate(last)) return last;
    if (Date.now() - started > timeoutMs) {
      throw new Error(`The server's record of stream ${streamId} did not reach the expected state within ${timeoutMs} ms: ${JSON.stringify(last && { ...last, tokenTimes: last.tokenTimes.length })}`);
    }
    await sleep(50);
  }
}

/**
 * Runs `fn({ page, context, errors })` in a fresh browser context. Console errors and warnings,
 * page errors and React warnings fail the scenario unless they match one of `allowConsole`
 * (regular expressions for messages the scenario provokes on purpose, e.g. a 500 it routes).
 * A failing scenario leaves `<name>-failure.png`.
 */
export async function withPage(browser, name, fn, { allowConsole = [], viewport = { width: 1280, height: 900 }, server = null } = {}) {
  server?.assertAlive();
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1, reducedMotion: 'no-preference' });
  context.setDefaultTimeout(10_000);
  context.setDefaultNavigationTimeout(15_000);
  const page = await context.newPage();
  const errors = [];
  const allowed = (text) => allowConsole.some((pattern) => pattern.test(text));
  page.on('console', (message) => {
    const type = message.type();
    const text = message.text();
    const reactWarning = /^Warning: |React does not recognize|Each child in a list|act\(/.test(text);
    if ((type === 'error' || type === 'warning' || type === 'assert' || reactWarning) && !allowed(text)) {
      errors.push(`console.${type}: ${text}`);
    }
  });
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  // A Stop aborts its stream request on purpose, but never the cancel request: one the browser
  // reports failed (DevTools: "(canceled)") would read as a cancel that did not reach the server.
  page.on('requestfailed', (request) => {
    const failure = `requestfailed: ${request.method()} ${request.url()} ${request.failure()?.errorText ?? ''}`;
    if (/\/cancel\b/.test(new URL(request.url()).pathname) && !allowed(failure)) errors.push(failure);
  });
  try {
    await fn({ page, context, errors });
    if (errors.length > 0) throw new Error(`The page reported errors:\n  ${errors.join('\n  ')}`);
  } catch (failure) {
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-failure.png`) }).catch(() => {});
    try {
      server?.assertAlive();
    } catch (dead) {
      failure.message = `${dead.message}\n${failure.message}`;
    }
    if (errors.length > 0 && !String(failure?.message).startsWith('The page reported errors')) {
      failure.message += `\nThe page also reported:\n  ${errors.join('\n  ')}`;
    }
    throw failure;
  } finally {
    await context.close().catch(() => {});
  }
}

/** Saves a screenshot into e2e/screenshots/. */
export function screenshot(page, file, options = {}) {
  return page.screenshot({ path: join(SCREENSHOTS, file), ...options });
}

/**
 * Installs in the page (before its scripts) a recorder of Stop activations: a capturing listener
 * on `document` runs before React's handler, so it sees the message text exactly as it was at the
 * click, in the same task. Also records every change of the assistant texts (MutationObserver).
 */
export async function installRecorder(page) {
  await page.addInitScript(() => {
    const now = () => performance.timeOrigin + performance.now();
    const lastAssistantText = () => {
      const all = document.querySelectorAll('[data-testid="message-assistant"] [data-testid="message-text"]');
      return all.length ? (all[all.length - 1].textContent ?? '') : '';
    };
    const recorder = { stops: [], textChanges: [], lastAssistantText };
    window.__e2e = recorder;
    const onActivate = (event) => {
      const target = event.target instanceof Element ? event.target : null;
      const button = target?.closest('[data-testid="stop"], [data-testid="lane-stop"]');
      if (!button) return;
      const lane = button.closest('[data-testid="lane"]');
      const textLength = () => (lane ? Number(lane.getAttribute('data-chars') ?? 0) : lastAssistantText().length);
      const entry = {
        t: now(),
        type: event.type,
        testId: button.getAttribute('data-testid'),
        stateBefore: button.getAttribute('data-state'),
        lane: lane ? Number(lane.getAttribute('data-index')) : null,
        textLength: textLength(),
      };
      recorder.stops.push(entry);
      // What the page shows right after the click's task (React renders a discrete event's update
      // before it ends) and in the next frame.
      const look = () => ({ dt: now() - entry.t, state: button.getAttribute('data-state'), textLength: textLength() });
      setTimeout(() => (entry.afterTask = look()), 0);
      requestAnimationFrame(() => (entry.nextFrame = look()));
    };
    document.addEventListener('click', onActivate, true);
    const observe = () => {
      let previous = lastAssistantText().length;
      new MutationObserver(() => {
        const length = lastAssistantText().length;
        if (length !== previous) {
          recorder.textChanges.push({ t: now(), length });
          previous = length;
        }
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    };
    if (document.body) observe();
    else document.addEventListener('DOMContentLoaded', observe);
  });
}

/** `page.waitForFunction` polling every animation frame (locator.waitFor may poll every 500 ms). */
export function waitRaf(page, fn, arg, timeout = 10_000) {
  return page.waitForFunction(fn, arg, { polling: 'raf', timeout });
}

/** Epoch milliseconds in the page's clock (`performance.timeOrigin + performance.now()`). */
export function pageNow(page) {
  return page.evaluate(() => performance.timeOrigin + performance.now());
}

export function round(value, digits = 0) {
  if (value === null || value === undefined || Number.isNaN(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
