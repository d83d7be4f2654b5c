// `npm run e2e` (after e2e/run.mjs): resume (docs/resume.md) end to end, in Debian's Chromium against
// the demo. A dropped connection, the page offline, a reload, a Stop after a resume, two demo
// instances on one redis-server behind one origin, a log past its lifetime, two tabs on one store.
// The fake model is deterministic: "the same answer as an uninterrupted run" compares the final text
// and tool-call arguments with those of an uninterrupted run in the same protocol.
// Figures: TAP diagnostics and e2e/screenshots/resume-results.json; described in docs/e2e.md, "Resume".
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import nodeTest, { after, before } from 'node:test';
import { CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, freePort, round, screenshot, serverDebug, sleep, startDemoServer, waitForServerStream, waitRaf, withPage } from './harness.mjs';

if (!existsSync(CHROMIUM)) {
  console.log('E2E SKIPPED: /usr/bin/chromium not found (apt-get install -y chromium)');
  process.exit(0);
}
const REDIS_SERVER = '/usr/bin/redis-server';
const { chromium } = await import('playwright-core');

const runStarted = Date.now();
const figures = {};
let server;
let browser;
/** Stopped in after(): demo instances, redis-server, proxies. */
const cleanups = [];

const test = (name, fn, options = {}) => nodeTest(name, { timeout: 60_000, ...options }, fn);
const inPage = (name, fn, options = {}) => withPage(browser, name, fn, { server, ...options });

function report(t, key, values) {
  figures[key] = values;
  t.diagnostic(`${key}: ${JSON.stringify(values)}`);
}

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  server = await startDemoServer({ logName: 'resume-server.log' });
  cleanups.push(() => server.stop());
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const context = await browser.newContext();
  const page = await context.newPage();
  const started = Date.now();
  await page.goto(server.url);
  await page.getByTestId('prompt').waitFor({ timeout: 30_000 });
  figures.setup = { serverStartupMs: server.startupMs, firstPageLoadMs: Date.now() - started, chromium: browser.version() };
  await context.close();
});

after(async () => {
  await browser?.close().catch(() => {});
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  figures.totalRunMs = Date.now() - runStarted;
  writeFileSync(join(SCREENSHOTS, 'resume-results.json'), `${JSON.stringify(figures, null, 2)}\n`);
});

// ---- helpers ----------------------------------------------------------------------------------

/**
 * Installed before the page's scripts: every value the status line's `data-status` takes, with its
 * page time (MutationObserver: when the DOM changed), and the page times of clicks on Drop and Stop.
 */
function installStatusLog(page) {
  return page.addInitScript(() => {
    const now = () => performance.timeOrigin + performance.now();
    const statuses = [];
    const clicks = [];
    window.__resume = { statuses, clicks };
    let previous = null;
    const look = () => {
      const status = document.querySelector('[data-testid="status"]')?.getAttribute('data-status') ?? null;
      if (status !== previous) {
        previous = status;
        statuses.push({ t: now(), status });
      }
    };
    document.addEventListener(
      'click',
      (event) => {
        const button = event.target instanceof Element ? event.target.closest('[data-testid="drop"], [data-testid="stop"]') : null;
        if (button) clicks.push({ t: now(), testId: button.getAttribute('data-testid') });
      },
      true,
    );
    const observe = () => new MutationObserver(look).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-status'] });
    if (document.body) observe();
    else document.addEventListener('DOMContentLoaded', observe);
  });
}

/** The last assistant message as the page shows it. */
function lastMessage(page) {
  return page.evaluate(() => {
    const all = document.querySelectorAll('[data-testid="message-assistant"]');
    const el = all[all.length - 1];
    if (!el) return null;
    const badge = el.querySelector('[data-testid="incomplete-badge"]');
    return {
      count: all.length,
      status: el.getAttribute('data-status'),
      streamId: el.getAttribute('data-stream-id'),
      text: el.querySelector('[data-testid="message-text"]')?.textContent ?? '',
      args: [...el.querySelectorAll('[data-testid="tool-args-text"]')].map((pre) => pre.textContent ?? ''),
      badge: badge ? { reason: badge.getAttribute('data-reason'), text: (badge.textContent ?? '').trim() } : null,
      spinners: el.querySelectorAll('[data-testid="spinner"]').length,
    };
  });
}

/** Resolves (every frame) with the page time at which the last assistant message has this status. */
async function waitForMessageStatus(page, status, timeout = 20_000) {
  const handle = await waitRaf(
    page,
    (wanted) => {
      const all = document.querySelectorAll('[data-testid="message-assistant"]');
      return all[all.length - 1]?.getAttribute('data-status') === wanted ? performance.timeOrigin + performance.now() : false;
    },
    status,
    timeout,
  );
  return handle.jsonValue();
}

/** Resolves with the page time at which the last assistant message's text is at least `chars` long. */
async function waitForChars(page, chars, timeout = 10_000) {
  const handle = await waitRaf(
    page,
    (n) => {
      const all = document.querySelectorAll('[data-testid="message-assistant"] [data-testid="message-text"]');
      return (all[all.length - 1]?.textContent ?? '').length >= n ? performance.timeOrigin + performance.now() : false;
    },
    chars,
    timeout,
  );
  return handle.jsonValue();
}

/** Resolves with the first page time after `from` at which the status line showed `status`. */
async function waitForStatusAfter(page, status, from, timeout = 10_000) {
  const handle = await page.waitForFunction(({ status, from }) => window.__resume.statuses.find((s) => s.t >= from && s.status === status)?.t ?? false, { status, from }, { polling: 20, timeout });
  return handle.jsonValue();
}

/** The server log's lines about one stream. */
async function logOf(baseUrl, streamId) {
  const { log } = await serverDebug(baseUrl);
  return log.filter((e) => e.streamId === streamId);
}
const resumeRequests = (lines) => lines.filter((e) => e.what.startsWith('resume from'));

/** The uninterrupted answer per protocol (text and tool-call arguments), from a fresh page. */
const references = new Map();
async function reference(protocol) {
  if (references.has(protocol)) return references.get(protocol);
  let value;
  await inPage(`reference-${protocol}`, async ({ page }) => {
    await page.goto(`${server.url}?tps=400&protocol=${protocol}`);
    await page.getByTestId('send').click();
    await waitForMessageStatus(page, 'complete');
    const message = await lastMessage(page);
    const lines = await logOf(server.url, message.streamId);
    assert.equal(resumeRequests(lines).length, 0, 'the reference run was not resumed');
    value = { text: message.text, args: message.args };
  });
  assert.ok(value.text.length > 100, `the reference text is the whole answer (${value.text.length} characters)`);
  references.set(protocol, value);
  return value;
}

/** Asserts that the page's last message is the complete, uninterrupted answer. */
function assertSameAnswer(message, ref, label) {
  assert.equal(message.status, 'complete', `${label}: the message ends complete`);
  assert.equal(message.badge, null, `${label}: no badge`);
  assert.equal(message.text, ref.text, `${label}: the text is that of an uninterrupted run`);
  assert.deepEqual(message.args, ref.args, `${label}: the tool-call arguments are those of an uninterrupted run`);
}

/** Opens the page, sends, waits for `chars` characters of text; returns the stream id. */
async function startStream(page, url, chars = 40) {
  await page.goto(url);
  await page.getByTestId('send').click();
  await waitForChars(page, chars);
  const { streamId } = await lastMessage(page);
  assert.ok(streamId, 'the message carries its stream id');
  return streamId;
}

/** Clicks Drop; resolves with its page time once the server said it dropped the stream's connection. */
async function drop(page, baseUrl, streamId) {
  await page.getByTestId('drop').click();
  const clickAt = await page.waitForFunction(() => window.__resume.clicks.findLast((c) => c.testId === 'drop')?.t ?? false, null, { polling: 20 }).then((h) => h.jsonValue());
  const started = Date.now();
  for (;;) {
    const line = (await logOf(baseUrl, streamId)).find((e) => /^dropped \d+ connection/.test(e.what));
    if (line) {
      assert.ok(!line.what.startsWith('dropped 0'), `the server dropped the stream's connection: ${line.what}`);
      return clickAt;
    }
    if (Date.now() - started > 5000) throw new Error('the drop never reached the server');
    await sleep(20);
  }
}

// ---- a. the server drops the connection mid-answer -------------------------------------------

/** Chromium logs the body the server cut on purpose (the Drop) as a failed resource load. */
const DROPPED = { allowConsole: [/ERR_INCOMPLETE_CHUNKED_ENCODING/] };

for (const protocol of ['ai-sdk', 'anthropic']) {
  test(`Drop the connection mid-answer (${protocol}): reconnecting, then streaming again; the message ends complete with the uninterrupted run's text and tool-call arguments`, async (t) => {
    const ref = await reference(protocol);
    await inPage(`resume-drop-${protocol}`, async ({ page }) => {
      await installStatusLog(page);
      const streamId = await startStream(page, `${server.url}?tps=20&protocol=${protocol}`);
      const before = await lastMessage(page);
      const dropAt = await drop(page, server.url, streamId);
      const reconnectingAt = await waitForStatusAfter(page, 'reconnecting', dropAt);
      const streamingAgainAt = await waitForStatusAfter(page, 'streaming', reconnectingAt);
      const completeAt = await waitForMessageStatus(page, 'complete');
      const message = await lastMessage(page);
      assertSameAnswer(message, ref, protocol);
      assert.equal(message.streamId, streamId, 'the same message');
      assert.equal(message.count, 1, 'one answer, not a second one');
      const lines = await logOf(server.url, streamId);
      const resumes = resumeRequests(lines);
      assert.ok(resumes.length >= 1, 'at least one resume request');
      assert.ok(lines.some((e) => e.what === 'resume answered 200'), 'a resume answered 200');
      const s = await waitForServerStream(server.url, streamId, (x) => x.finished);
      assert.equal(s.upstreamAbortedAt, null, 'the drop did not stop the model');
      await screenshot(page, `resume-drop-${protocol}.png`);
      report(t, `resume-drop-${protocol}`, {
        charsAtDrop: before.text.length,
        dropClickToReconnectingMs: round(reconnectingAt - dropAt),
        reconnectMs: round(streamingAgainAt - dropAt),
        dropClickToCompleteMs: round(completeAt - dropAt),
        resumeRequests: resumes.length,
        resumeCursors: resumes.map((e) => e.what.replace('resume from ', '')),
        finalChars: message.text.length,
        toolCalls: message.args.length,
        identicalToUninterrupted: true,
      });
    }, DROPPED);
  });
}

// ---- b. offline, then online ---------------------------------------------------------------

/**
 * The page's requests to the resume endpoint: when each failed (Chromium's error text) or got its
 * answer's headers (the status; its body then follows the stream to its end).
 */
function watchResumeRequests(page) {
  const seen = [];
  page.on('requestfailed', (r) => r.url().includes('/api/chat/resume') && seen.push({ t: Date.now(), outcome: r.failure()?.errorText ?? 'failed' }));
  page.on('response', (r) => r.url().includes('/api/chat/resume') && seen.push({ t: Date.now(), outcome: String(r.status()) }));
  return seen;
}

/**
 * Offline for 1 s mid-answer. Chromium's offline emulation fails new requests but leaves a response
 * already streaming alone, so `setOffline` alone never breaks the stream (measured: no
 * `reconnecting`, the first connection reads to its end). The second case is the one that tests
 * resume: the network goes down *and* the connection is lost (the server drops it: POST
 * /api/chat/drop from the test, the page being offline), so the resume attempts fail until the
 * page is online again, and one after that resumes.
 */
for (const withDrop of [false, true]) {
  const name = withDrop ? 'resume-offline-drop' : 'resume-offline';
  const title = withDrop
    ? 'Offline for 1 s and the connection lost meanwhile: reconnecting, the attempts fail offline, one after online resumes; complete, the uninterrupted text'
    : 'The page goes offline for 1 s mid-answer, then online (the open stream survives Chromium\'s offline emulation): complete, the uninterrupted text';
  test(title, async (t) => {
    const ref = await reference('ai-sdk');
    await inPage(
      name,
      async ({ page, context }) => {
        await installStatusLog(page);
        const attempts = watchResumeRequests(page);
        const streamId = await startStream(page, `${server.url}?tps=20`);
        const offlineAt = Date.now();
        await context.setOffline(true);
        if (withDrop) {
          const dropped = await fetch(new URL(`/api/chat/drop?streamId=${encodeURIComponent(streamId)}`, server.url), { method: 'POST' }).then((r) => r.json());
          assert.ok(dropped.dropped >= 1, 'the server dropped the connection');
        }
        await sleep(1000 - (Date.now() - offlineAt));
        await context.setOffline(false);
        const onlineAt = Date.now();
        const completeAt = await waitForMessageStatus(page, 'complete');
        const message = await lastMessage(page);
        assertSameAnswer(message, ref, name);
        assert.equal(message.streamId, streamId);
        const statuses = await page.evaluate(() => window.__resume.statuses.map((s) => s.status));
        const lines = await logOf(server.url, streamId);
        const s = await waitForServerStream(server.url, streamId, (x) => x.finished);
        if (withDrop) {
          assert.ok(statuses.includes('reconnecting'), `reconnecting shown: ${statuses.join(' → ')}`);
          assert.ok(attempts.some((a) => a.t >= onlineAt && a.outcome === '200'), 'a resume after online answered 200');
        }
        report(t, name, {
          offlineMs: onlineAt - offlineAt,
          statuses: statuses.join(' → '),
          resumeAttempts: attempts.map((a) => `${a.outcome} at ${a.t - offlineAt} ms`),
          resumeRequestsAtServer: resumeRequests(lines).length,
          resumeAtServerAfterOfflineMs: resumeRequests(lines).length ? round(resumeRequests(lines)[0].t - offlineAt) : null,
          onlineToCompleteMs: round(completeAt - onlineAt),
          firstConnectionClosedBy: s.closedBy,
          finalChars: message.text.length,
          identicalToUninterrupted: true,
        });
      },
      // Chromium logs the cut body and the attempts made while offline.
      { allowConsole: [/ERR_INTERNET_DISCONNECTED/, /ERR_NETWORK_CHANGED/, /ERR_INCOMPLETE_CHUNKED_ENCODING/] },
    );
  });
}

// ---- c. reload mid-answer ---------------------------------------------------------------------

test('Reload mid-answer (resume on): the same message resumes and ends complete with the full text', async (t) => {
  const ref = await reference('ai-sdk');
  await inPage('resume-reload', async ({ page }) => {
    await installStatusLog(page);
    const streamId = await startStream(page, `${server.url}?tps=20`);
    const before = await lastMessage(page);
    const reloadAt = Date.now();
    await page.reload();
    await page.getByTestId('prompt').waitFor();
    const completeAt = await waitForMessageStatus(page, 'complete');
    const message = await lastMessage(page);
    assertSameAnswer(message, ref, 'reload');
    assert.equal(message.streamId, streamId, 'the same message (same data-stream-id)');
    assert.equal(message.count, 1, 'one answer');
    const lines = await logOf(server.url, streamId);
    const resumes = resumeRequests(lines);
    assert.equal(resumes.length, 1, 'one resume request');
    const records = await page.evaluate(() => localStorage.getItem('react-model-stream-demo:streams'));
    assert.equal(records, null, 'the stream record is gone once the answer completed');
    await screenshot(page, 'resume-reload.png');
    const answered = lines.find((e) => e.what === 'resume answered 200');
    report(t, 'resume-reload', {
      charsBeforeReload: before.text.length,
      reloadToResumeAnsweredMs: round(answered.t - reloadAt),
      reloadToCompleteMs: round(completeAt - reloadAt),
      resumeRequests: resumes.length,
      resumeCursor: resumes[0].what.replace('resume from ', ''),
      finalChars: message.text.length,
      identicalToUninterrupted: true,
    });
  });
});

// ---- d. Stop after a resume -------------------------------------------------------------------

test('Stop after a resume: drop, streaming again, Stop: the message ends incomplete, cancelled, server confirmed; ≤ 1 token after the cancel arrived', async (t) => {
  await inPage('resume-stop', async ({ page }) => {
    await installStatusLog(page);
    const streamId = await startStream(page, `${server.url}?tps=20`);
    const dropAt = await drop(page, server.url, streamId);
    const reconnectingAt = await waitForStatusAfter(page, 'reconnecting', dropAt);
    await waitForStatusAfter(page, 'streaming', reconnectingAt);
    await page.getByTestId('stop').click();
    const stopAt = await page.waitForFunction(() => window.__resume.clicks.findLast((c) => c.testId === 'stop')?.t ?? false, null, { polling: 20 }).then((h) => h.jsonValue());
    const incompleteAt = await waitForMessageStatus(page, 'incomplete', 5000);
    const message = await lastMessage(page);
    assert.equal(message.badge?.reason, 'cancelled');
    assert.match(message.badge.text, /server confirmed/);
    assert.doesNotMatch(message.badge.text, /did not confirm/);
    assert.equal(message.spinners, 0, 'no spinner');
    const s = await waitForServerStream(server.url, streamId, (x) => x.cancelArrivedAt !== null && x.upstreamAbortedAt !== null);
    assert.equal(s.cancelStatus, 200);
    assert.ok(s.tokensAfterCancel <= 1, `tokens after the cancel arrived: ${s.tokensAfterCancel}`);
    const lines = await logOf(server.url, streamId);
    await screenshot(page, 'resume-stop.png');
    report(t, 'resume-stop', {
      resumeRequests: resumeRequests(lines).length,
      badge: message.badge.text,
      stopClickToCancelArrivedMs: round(s.cancelArrivedAt - stopAt, 1),
      stopClickToIncompleteMs: round(incompleteAt - stopAt),
      upstreamAbortedAfterCancelMs: round(s.upstreamAbortedAt - s.cancelArrivedAt, 1),
      tokensAfterCancel: s.tokensAfterCancel,
      tokensInAll: s.tokens,
    });
  }, DROPPED);
});

// ---- e. two instances on one redis-server ----------------------------------------------------

/** A redis-server of our own on a free port, no persistence; resolves once it answers PING. */
async function startRedis() {
  const port = await freePort();
  const child = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await gone;
  };
  process.once('exit', () => child.exitCode === null && child.kill('SIGKILL'));
  const started = Date.now();
  for (;;) {
    const pong = await new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('error', () => resolve(false));
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.once('data', (data) => {
        socket.destroy();
        resolve(String(data).startsWith('+PONG'));
      });
    });
    if (pong) return { url: `redis://127.0.0.1:${port}`, stop };
    if (Date.now() - started > 10_000) {
      await stop();
      throw new Error('redis-server did not answer');
    }
    await sleep(50);
  }
}

/**
 * One origin in front of two instances: `POST /api/chat` to `a`, everything else (page, assets,
 * resume, cancel, debug) to `b`. A client that goes away is passed on (the request to the
 * instance is destroyed), as a real proxy does.
 */
async function startProxy(a, b) {
  const counts = { a: 0, b: 0 };
  const proxy = createServer((req, res) => {
    const toA = req.method === 'POST' && (req.url ?? '/').split('?')[0] === '/api/chat';
    const target = new URL(toA ? a.url : b.url);
    counts[toA ? 'a' : 'b']++;
    const upstream = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
      answer.once('error', () => res.destroy());
    });
    upstream.once('error', () => res.destroy());
    res.once('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  });
  await new Promise((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const stop = () =>
    new Promise((resolve) => {
      proxy.closeAllConnections();
      proxy.close(() => resolve());
    });
  return { url: `http://127.0.0.1:${proxy.address().port}/`, counts, stop };
}

let shared = null;
/** redis-server, instances A and B on it, the proxy; started once for the two scenarios below. */
async function sharedInstances() {
  if (shared) return shared;
  const redis = await startRedis();
  cleanups.push(() => redis.stop());
  const env = { REDIS_URL: redis.url, REDIS_PREFIX: `e2e-${process.pid}:` };
  const [a, b] = await Promise.all([startDemoServer({ env, logName: 'resume-server-a.log' }), startDemoServer({ env, logName: 'resume-server-b.log' })]);
  cleanups.push(() => a.stop(), () => b.stop());
  const proxy = await startProxy(a, b);
  cleanups.push(() => proxy.stop());
  shared = { redis, a, b, proxy };
  return shared;
}

test('Two instances on one redis-server behind one origin: a stream started on A, the page reloaded, resumes through B and completes', async (t) => {
  const ref = await reference('ai-sdk');
  const { a, b, proxy } = await sharedInstances();
  await inPage(
    'resume-redis-reload',
    async ({ page }) => {
      await installStatusLog(page);
      const streamId = await startStream(page, `${proxy.url}?tps=20&cancelOrigin=same`);
      const before = await lastMessage(page);
      const reloadAt = Date.now();
      await page.reload();
      await page.getByTestId('prompt').waitFor({ timeout: 30_000 });
      const completeAt = await waitForMessageStatus(page, 'complete', 30_000);
      const message = await lastMessage(page);
      assertSameAnswer(message, ref, 'redis reload');
      assert.equal(message.streamId, streamId);
      const onA = await logOf(a.url, streamId);
      const onB = await logOf(b.url, streamId);
      assert.ok(onA.some((e) => e.what.startsWith('request')), 'the stream ran on A');
      assert.equal(resumeRequests(onA).length, 0, 'no resume reached A');
      assert.equal(resumeRequests(onB).length, 1, 'one resume, through B');
      assert.ok(onB.some((e) => e.what === 'resume answered 200'));
      const s = await waitForServerStream(a.url, streamId, (x) => x.finished);
      assert.equal(s.upstreamAbortedAt, null, 'the model on A ran to its end');
      report(t, 'resume-redis-reload', {
        charsBeforeReload: before.text.length,
        reloadToResumeAnsweredOnBMs: round(onB.find((e) => e.what === 'resume answered 200').t - reloadAt),
        reloadToCompleteMs: round(completeAt - reloadAt),
        resumeRequestsOnA: 0,
        resumeRequestsOnB: resumeRequests(onB).length,
        logOnB: onB.map((e) => e.what),
        finalChars: message.text.length,
        identicalToUninterrupted: true,
      });
    },
    { server: null },
  );
});

test('Two instances on one redis-server: started on A, reloaded, resumed through B, Stop: A\'s model stops (≤ 1 token after the cancel reached B), server confirmed', async (t) => {
  const { a, b, proxy } = await sharedInstances();
  await inPage(
    'resume-redis-stop',
    async ({ page }) => {
      await installStatusLog(page);
      const streamId = await startStream(page, `${proxy.url}?tps=20&cancelOrigin=same`);
      await page.reload();
      await page.getByTestId('prompt').waitFor({ timeout: 30_000 });
      // Resumed: the message streams again and its text grows past what the reload kept.
      await waitForMessageStatus(page, 'streaming');
      const kept = (await lastMessage(page)).text.length;
      await waitForChars(page, kept + 10);
      await waitRaf(page, () => document.querySelector('[data-testid="stop"]')?.getAttribute('data-state') === 'streaming');
      await page.getByTestId('stop').click();
      const stopAt = await page.waitForFunction(() => window.__resume.clicks.findLast((c) => c.testId === 'stop')?.t ?? false, null, { polling: 20 }).then((h) => h.jsonValue());
      await waitForMessageStatus(page, 'incomplete', 5000);
      const message = await lastMessage(page);
      assert.equal(message.streamId, streamId);
      assert.equal(message.badge?.reason, 'cancelled');
      assert.match(message.badge.text, /server confirmed/);
      assert.doesNotMatch(message.badge.text, /did not confirm/);
      const s = await waitForServerStream(a.url, streamId, (x) => x.upstreamAbortedAt !== null);
      const onB = await logOf(b.url, streamId);
      const cancelAtB = onB.find((e) => e.what === 'cancel arrived');
      assert.ok(cancelAtB, 'the cancel arrived at B');
      assert.ok(onB.some((e) => e.what === 'cancel answered 200'), 'B answered the cancel 200');
      assert.equal(resumeRequests(onB).length >= 1, true, 'the stream was resumed through B');
      const tokensAfterCancel = s.tokenTimes.filter((x) => x > cancelAtB.t).length;
      assert.ok(tokensAfterCancel <= 1, `tokens on A after the cancel reached B: ${tokensAfterCancel}`);
      assert.equal(s.finished, false, 'the model did not run to its end');
      await screenshot(page, 'resume-redis-stop.png');
      report(t, 'resume-redis-stop', {
        badge: message.badge.text,
        stopClickToCancelAtBMs: round(cancelAtB.t - stopAt, 1),
        cancelAtBToAbortOnAMs: round(s.upstreamAbortedAt - cancelAtB.t, 1),
        tokensOnAAfterCancelAtB: tokensAfterCancel,
        tokensInAll: s.tokens,
        logOnB: onB.map((e) => e.what),
      });
    },
    { server: null },
  );
});

// ---- f. a stream past its log's lifetime ----------------------------------------------------

test('A stream past its log\'s lifetime: the page left mid-answer, back after detachedMs + ttlMs: the message is disconnected with exactly the text it showed, no spinner', async (t) => {
  const detachedMs = 1000;
  const ttlMs = 1000;
  const short = await startDemoServer({ env: { DEMO_RESUME_DETACHED_MS: String(detachedMs), DEMO_RESUME_TTL_MS: String(ttlMs) }, logName: 'resume-server-short.log' });
  cleanups.push(() => short.stop());
  await inPage(
    'resume-expired',
    async ({ page }) => {
      // What the page showed when it went away, written at pagehide (same origin: kept in localStorage).
      await page.addInitScript(() => {
        window.addEventListener('pagehide', () => {
          const all = document.querySelectorAll('[data-testid="message-assistant"]');
          const el = all[all.length - 1];
          if (el) localStorage.setItem('e2e:shown', JSON.stringify({ streamId: el.getAttribute('data-stream-id'), text: el.querySelector('[data-testid="message-text"]')?.textContent ?? '' }));
        });
      });
      const streamId = await startStream(page, `${short.url}?tps=20`);
      const leftAt = Date.now();
      await page.goto('about:blank');
      // The server: nobody read the log for detachedMs, so the model was stopped; then the log expires ttlMs later.
      const s = await waitForServerStream(short.url, streamId, (x) => x.upstreamAbortedAt !== null, { timeoutMs: detachedMs * 3 + 2000 });
      await sleep(Math.max(0, s.upstreamAbortedAt + ttlMs + 500 - Date.now()));
      const backAt = Date.now();
      await page.goto(`${short.url}?tps=20`);
      await page.getByTestId('prompt').waitFor();
      const shown = JSON.parse(await page.evaluate(() => localStorage.getItem('e2e:shown')));
      assert.equal(shown.streamId, streamId);
      await page.locator('[data-testid="message-assistant"] [data-testid="incomplete-badge"][data-reason="disconnected"]').waitFor({ timeout: 10_000 });
      // A moment for anything that would still change it.
      await sleep(300);
      const message = await lastMessage(page);
      assert.equal(message.streamId, streamId, 'the same message');
      assert.equal(message.status, 'incomplete');
      assert.equal(message.badge.reason, 'disconnected');
      assert.equal(message.text, shown.text, 'exactly the text it showed when the page went away');
      assert.equal(await page.getByTestId('spinner').count(), 0, 'no spinner');
      // The hook ran the resume, which ended the message `disconnected`: nothing runs any more.
      assert.ok(['idle', 'incomplete'].includes(await page.getByTestId('status').getAttribute('data-status')), 'nothing streams');
      assert.equal(await page.getByTestId('stop').isDisabled(), true, 'nothing to stop');
      const lines = await logOf(short.url, streamId);
      const resumes = resumeRequests(lines);
      assert.ok(lines.some((e) => e.what === 'resume answered 404'), `the resume answered 404: ${lines.map((e) => e.what).join(' → ')}`);
      const records = await page.evaluate(() => localStorage.getItem('react-model-stream-demo:streams'));
      assert.equal(records, null, 'the stream record is forgotten');
      await screenshot(page, 'resume-expired.png');
      report(t, 'resume-expired', {
        detachedMs,
        ttlMs,
        upstreamStoppedAfterPageLeftMs: round(s.upstreamAbortedAt - leftAt),
        tokensGenerated: s.tokens,
        pageBackAfterLeftMs: backAt - leftAt,
        charsShown: shown.text.length,
        charsAfterReturn: message.text.length,
        resumeRequests: resumes.length,
        serverLog: lines.map((e) => e.what),
        badge: message.badge.text,
      });
    },
    // The resume's 404 is logged by Chromium as a failed resource load.
    { server: short, allowConsole: [/status of 404/] },
  );
});

// ---- g. two tabs, one store -------------------------------------------------------------------

test('Two tabs on one persisted store: tab 1 streams, tab 1 closes mid-answer, tab 2 takes over (exactly one resume request) and the message completes there', async (t) => {
  const ref = await reference('ai-sdk');
  await inPage('resume-two-tabs', async ({ page: tab1, context, errors }) => {
    const url = `${server.url}?tps=20`;
    await tab1.goto(url);
    await tab1.getByTestId('prompt').waitFor();
    const tab2 = await context.newPage();
    tab2.on('console', (m) => ['error', 'warning', 'assert'].includes(m.type()) && errors.push(`tab 2: console.${m.type()}: ${m.text()}`));
    tab2.on('pageerror', (error) => errors.push(`tab 2: pageerror: ${error.message}`));
    await tab2.goto(url);
    await tab2.getByTestId('prompt').waitFor();
    await tab1.bringToFront();
    await tab1.getByTestId('send').click();
    await waitForChars(tab1, 40);
    const { streamId } = await lastMessage(tab1);
    // Tab 2 shows the answer streaming (the store syncs across tabs) before tab 1 goes away.
    await waitForChars(tab2, 20);
    const closeAt = Date.now();
    await tab1.close();
    await tab2.bringToFront();
    const completeAt = await waitForMessageStatus(tab2, 'complete', 20_000);
    const message = await lastMessage(tab2);
    assertSameAnswer(message, ref, 'tab 2');
    assert.equal(message.streamId, streamId, 'the same message');
    assert.equal(message.count, 1);
    // Give a second taker, if there were one, time to show up.
    await sleep(500);
    const lines = await logOf(server.url, streamId);
    const resumes = resumeRequests(lines);
    assert.equal(resumes.length, 1, `exactly one resume request: ${lines.map((e) => e.what).join(' → ')}`);
    await screenshot(tab2, 'resume-two-tabs.png');
    report(t, 'resume-two-tabs', {
      tab1CloseToResumeAnsweredMs: round(lines.find((e) => e.what === 'resume answered 200').t - closeAt),
      tab1CloseToCompleteInTab2Ms: round(completeAt - closeAt),
      resumeRequests: resumes.length,
      resumeCursor: resumes[0].what.replace('resume from ', ''),
      finalChars: message.text.length,
      identicalToUninterrupted: true,
    });
  });
});
