// `node e2e/tools.mjs` (run by `npm run e2e` after e2e/run.mjs): the demo's "Tool run" panel in
// Debian's Chromium (issue 16 point 7, docs/tools.md). A two-step run over the scripted fake model
// (TOOL_LOOP_FAKE_STEPS: step 1 calls get_weather, a client tool that runs 1.5 s, and delete_file,
// which needs approval; step 2 answers with the results), checked against what the demo server saw
// (/api/debug `toolRequests`: each step request, with the step and the tool results the fake model
// read from its history):
//   (a) Allow → the run completes in two steps; step 2's request carried both results;
//   (b) Stop while delete_file awaits approval → incomplete / cancelled, the call cancelled, no step 2;
//   (c) Stop while get_weather runs → its signal aborted (the tool reports it), no step 2;
//   (d) Stop while step 1 streams → the server confirmed, the model stopped; (e) Stop between steps.
// Figures: e2e/screenshots/tools-results.json.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nodeTest, { after, before } from 'node:test';
import { CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, screenshot, serverDebug, sleep, startDemoServer, withPage } from './harness.mjs';

if (!existsSync(CHROMIUM)) {
  console.log('E2E SKIPPED: /usr/bin/chromium not found (apt-get install -y chromium)');
  process.exit(0);
}
const { chromium } = await import('playwright-core');

const runStarted = Date.now();
const figures = {};
let server;
let browser;
const test = (name, fn) => nodeTest(name, { timeout: 30_000 }, fn);
const inPage = (name, fn) => withPage(browser, name, fn, { server });

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  server = await startDemoServer({ logName: 'tools-server.log' });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const started = Date.now();
  await inPage('tools-warmup', async ({ page }) => {
    await page.goto(`${server.url}?tools=1`);
    await page.getByTestId('loop-send').waitFor({ timeout: 30_000 });
  });
  figures.setup = { serverStartupMs: server.startupMs, firstPageLoadMs: Date.now() - started };
});

after(async () => {
  await browser?.close().catch(() => {});
  await server?.stop();
  figures.totalRunMs = Date.now() - runStarted;
  writeFileSync(join(SCREENSHOTS, 'tools-results.json'), `${JSON.stringify(figures, null, 2)}\n`);
});

/** The tool-run requests the server saw so far. */
const toolRequests = async () => (await serverDebug(server.url)).toolRequests;

/** Opens the panel (the fake model at `tps` tokens/s) and starts a run; returns the requests seen before it. */
async function startRun(page, tps = 60) {
  await page.goto(`${server.url}?tools=1&tps=${tps}`);
  const before = (await toolRequests()).length;
  await page.getByTestId('loop-send').click();
  return before;
}

const call = (page, name) => page.locator(`[data-testid="loop-call"][data-name="${name}"]`);
const status = (page) => page.getByTestId('loop-status').getAttribute('data-status');

/**
 * The end state every Stop of the run leaves: the step's message incomplete / cancelled, no step 2
 * reached the server. Returns the ms from `clicked` to the status `incomplete` (as polled).
 */
async function assertStoppedInStep1(page, before, clicked, serverConfirmed = false) {
  await page.locator('[data-testid="loop-status"][data-status="incomplete"]').waitFor({ timeout: 5_000 });
  const endedMs = Date.now() - clicked;
  const badge = page.getByTestId('loop-incomplete');
  assert.equal(await badge.getAttribute('data-reason'), 'cancelled');
  assert.equal(await badge.getAttribute('data-server-confirmed'), String(serverConfirmed));
  assert.equal(await page.getByTestId('loop-assistant').count(), 1, 'one step shown');
  assert.equal(await page.getByTestId('loop-stop').isDisabled(), true, 'Stop disabled once the run ended');
  // Longer than get_weather's 1.5 s: a tool left running would have finished and a step 2 started by now.
  await sleep(1800);
  const seen = (await toolRequests()).slice(before);
  assert.deepEqual(
    seen.map((r) => r.step),
    [1],
    'the server saw step 1 only',
  );
  assert.equal(await page.getByTestId('loop-assistant').count(), 1, 'still one step');
  return endedMs;
}

test('(a) Allow: the two-step run completes; step 2’s request carried both tool results', async (t) => {
  await inPage('tools-approve', async ({ page }) => {
    const started = Date.now();
    const before = await startRun(page);
    await page.getByRole('button', { name: 'Allow delete_file' }).waitFor({ timeout: 10_000 });
    assert.equal(await status(page), 'tools');
    assert.equal(await page.getByTestId('loop-stop').isEnabled(), true, 'Stop enabled while a call awaits approval');
    await screenshot(page, 'tools-awaiting-approval.png');
    await page.getByRole('button', { name: 'Allow delete_file' }).click();
    await page.locator('[data-testid="loop-status"][data-status="complete"]').waitFor({ timeout: 15_000 });
    const steps = page.getByTestId('loop-assistant');
    assert.equal(await steps.count(), 2);
    assert.equal(await steps.nth(1).getByTestId('loop-text').textContent(), 'It is 21 °C and sunny in Genève. I deleted reports/old-draft.txt.');
    assert.equal(await call(page, 'get_weather').getAttribute('data-execution'), 'done');
    assert.equal(await call(page, 'delete_file').getAttribute('data-execution'), 'done');
    const seen = (await toolRequests()).slice(before);
    assert.deepEqual(
      seen.map((r) => r.step),
      [1, 2],
    );
    assert.deepEqual(seen[0].results, []);
    assert.deepEqual(
      seen[1].results.map((r) => [r.name, JSON.parse(r.output)]),
      [
        ['get_weather', { city: 'Genève', celsius: 21, sky: 'sunny' }],
        ['delete_file', { deleted: true, path: 'reports/old-draft.txt' }],
      ],
    );
    await screenshot(page, 'tools-complete.png');
    figures.approve = { runMs: Date.now() - started };
    t.diagnostic(`approve: ${JSON.stringify(figures.approve)}`);
  });
});

test('(b) Stop while delete_file awaits approval: incomplete / cancelled, the call cancelled, no step 2', async (t) => {
  await inPage('tools-stop-approval', async ({ page }) => {
    const before = await startRun(page);
    await page.getByRole('button', { name: 'Allow delete_file' }).waitFor({ timeout: 10_000 });
    // The weather done: the run waits for the approval alone.
    await page.locator('[data-testid="loop-call"][data-name="get_weather"][data-execution="done"]').waitFor({ timeout: 5_000 });
    assert.equal(await status(page), 'tools');
    const clicked = Date.now();
    await page.getByTestId('loop-stop').click();
    const endedMs = await assertStoppedInStep1(page, before, clicked);
    assert.equal(await call(page, 'delete_file').getAttribute('data-execution'), 'cancelled');
    assert.equal(await page.getByRole('button', { name: 'Allow delete_file' }).count(), 0, 'no Allow after the Stop');
    assert.equal(await call(page, 'get_weather').getAttribute('data-execution'), 'done', 'the result kept');
    await screenshot(page, 'tools-stopped-awaiting-approval.png');
    figures.stopAwaitingApproval = { incompleteSeenMs: endedMs };
    t.diagnostic(`stop awaiting approval: ${JSON.stringify(figures.stopAwaitingApproval)}`);
  });
});

test('(c) Stop while get_weather runs: its signal aborts, both calls cancelled, no step 2', async (t) => {
  await inPage('tools-stop-running', async ({ page }) => {
    const before = await startRun(page);
    await page.locator('[data-testid="loop-call"][data-name="get_weather"][data-execution="running"]').waitFor({ timeout: 10_000 });
    assert.equal(await page.getByTestId('loop-stop').isEnabled(), true, 'Stop enabled while a tool runs');
    const clicked = Date.now();
    await page.getByTestId('loop-stop').click();
    await page.locator('[data-testid="loop-call"][data-name="get_weather"][data-report="aborted"]').waitFor({ timeout: 2_000 });
    const abortedMs = Date.now() - clicked;
    const endedMs = await assertStoppedInStep1(page, before, clicked);
    assert.equal(await call(page, 'get_weather').getAttribute('data-execution'), 'cancelled');
    assert.equal(await call(page, 'get_weather').getAttribute('data-report'), 'aborted', 'the tool never finished');
    assert.equal(await call(page, 'delete_file').getAttribute('data-execution'), 'cancelled');
    await screenshot(page, 'tools-stopped-running.png');
    figures.stopRunning = { signalAbortedSeenMs: abortedMs, incompleteSeenMs: endedMs };
    t.diagnostic(`stop while running: ${JSON.stringify(figures.stopRunning)}`);
  });
});

test('(d) Stop while step 1 streams: the stop contract (the server confirmed, the model stopped), no tool ran, no step 2', async (t) => {
  await inPage('tools-stop-streaming', async ({ page }) => {
    // 5 tokens/s: the Stop lands mid-text even on a loaded machine.
    const before = await startRun(page, 5);
    await page.waitForFunction(() => (document.querySelector('[data-testid="loop-assistant"] [data-testid="loop-text"]')?.textContent ?? '').length > 5, null, { timeout: 10_000 });
    const clicked = Date.now();
    await page.getByTestId('loop-stop').click();
    const endedMs = await assertStoppedInStep1(page, before, clicked, true);
    assert.equal(await page.locator('[data-testid="loop-call"][data-report]').count(), 0, 'no tool ran');
    const [request] = (await toolRequests()).slice(before);
    const { streams } = await serverDebug(server.url);
    const stream = streams.find((s) => s.streamId === request.streamId);
    assert.equal(stream.cancelStatus, 200, 'the cancel endpoint confirmed');
    assert.ok(stream.tokensAfterCancel <= 1, `tokens after the cancel: ${stream.tokensAfterCancel}`);
    figures.stopStreaming = { incompleteSeenMs: endedMs, tokensAfterCancel: stream.tokensAfterCancel };
    t.diagnostic(`stop while streaming: ${JSON.stringify(figures.stopStreaming)}`);
  });
});

test('(e) Stop between steps ("Deny and stop at once"): the denial kept, no step 2', async (t) => {
  await inPage('tools-stop-between', async ({ page }) => {
    const before = await startRun(page);
    await page.locator('[data-testid="loop-call"][data-name="get_weather"][data-execution="done"]').waitFor({ timeout: 10_000 });
    const clicked = Date.now();
    await page.getByRole('button', { name: 'Deny and stop at once' }).click();
    const endedMs = await assertStoppedInStep1(page, before, clicked);
    assert.equal(await call(page, 'delete_file').getAttribute('data-execution'), 'denied');
    assert.equal(await call(page, 'get_weather').getAttribute('data-execution'), 'done');
    figures.stopBetweenSteps = { incompleteSeenMs: endedMs };
    t.diagnostic(`stop between steps: ${JSON.stringify(figures.stopBetweenSteps)}`);
  });
});
