// Render cost: `useModelStream` (the built package, default `throttle: 'frame'`) against
// `@ai-sdk/react`'s `useChat` (default options) on the same answer, served in the AI SDK UI
// message stream format by the same local HTTP server: 10,000 `text-delta` parts of one word,
// (a) as fast as the socket takes them and (b) spread over 2 s. Counts React commits (a
// <Profiler> around the component), animation frames, and the wall time from the click that starts
// the stream to the commit that shows the complete answer. Both components render the text into a
// <p>, so every commit does real DOM work.
//
//   node --expose-gc bench/render.mjs [--quick]      # alone
//   npm run bench -- --only=render                   # from bench/run.mjs
//
// Set-up, and why:
// - DOM: jsdom with `pretendToBeVisual`, so requestAnimationFrame exists and runs at ~60 Hz off a
//   timer (bench/render/dom.mjs). A frame clock keeps one rAF outstanding during a run so frames
//   tick as in a browser and can be counted; commits are bucketed by the frame they fall in.
// - React: the production build with profiling (`react-dom/profiling`), the build a real app runs
//   (plus <Profiler>); NODE_ENV is set to 'production' before React loads unless already set.
// - Server: node:http on 127.0.0.1 in a worker thread (bench/render/server.mjs), so its writes run
//   on their own event loop and do not compete with React and the client's decoding on the main
//   thread (which matters most at full speed). Full speed: one write per delta, waiting for
//   'drain' on backpressure. Paced: a 1 ms timer loop writes every delta due by then (about 5
//   per write), 10,000 deltas over 2,000 ms.
// - Each stream is started by a click on a <button> (jsdom dispatches it; React handles it as a
//   discrete event, as in an app), which calls `start('go')` / `sendMessage({ text: 'go' })`.
// - Runs alternate the contenders (one unmeasured warm-up each first), unmounting between runs;
//   medians are reported. Every run must end with exactly the expected text, or the bench throws.
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { DELTAS, expectedText } from './render/content.mjs';
import { installDom } from './render/dom.mjs';
import { gc, median, printTable, round } from './stats.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const RUN_TIMEOUT_MS = 60_000;

/** The largest number of commits that fell in one frame (between two frame-clock ticks). */
function maxPerFrame(frameOfCommit) {
  const perFrame = new Map();
  for (const frame of frameOfCommit) perFrame.set(frame, (perFrame.get(frame) ?? 0) + 1);
  return Math.max(0, ...perFrame.values());
}

export async function benchRender({ quick = false } = {}) {
  if (process.env.NODE_ENV === undefined) process.env.NODE_ENV = 'production';
  const reactBuild = process.env.NODE_ENV === 'production' ? 'production+profiling' : 'development';
  const dom = installDom();
  // No inherited flags (`--input-type`, `--expose-gc`): the server needs none.
  const worker = new Worker(join(here, 'render/server.mjs'), { execArgv: [] });
  try {
    const [{ port }] = await once(worker, 'message');
    const base = `http://127.0.0.1:${port}`;

    // Loaded after the DOM globals exist.
    const React = await import('react');
    const ReactDOM = await import('react-dom/profiling');
    const createRoot = ReactDOM.createRoot ?? ReactDOM.default.createRoot;
    const { useChat } = await import('@ai-sdk/react');
    const { DefaultChatTransport } = await import('ai');
    const { useModelStream } = await import(pathToFileURL(join(here, '../dist/index.js')).href);
    const h = React.createElement;
    const { Profiler, useEffect, useLayoutEffect, useState } = React;

    const expected = expectedText();

    function Ours({ url, run }) {
      const stream = useModelStream({ api: url, protocol: 'auto' });
      useLayoutEffect(() => {
        run.latest = { status: stream.status, text: stream.text, error: stream.error };
      });
      useEffect(() => run.mounted(), []);
      return h('div', null, h('button', { onClick: () => void stream.start('go') }, 'Send'), h('p', null, stream.text));
    }
    const oursDone = ({ status, text, error }) => {
      if (status === 'complete') return text.length === expected.length && text === expected ? true : new Error(`ours: wrong text (${text.length} chars, expected ${expected.length})`);
      if (status === 'incomplete' || status === 'cancelled' || status === 'error') return new Error(`ours: stream ended ${status}: ${error?.message ?? ''}`);
      return false;
    };

    const textOf = (message) => (message?.role === 'assistant' ? message.parts.map((part) => (part.type === 'text' ? part.text : '')).join('') : '');
    function Chat({ url, run }) {
      const [transport] = useState(() => new DefaultChatTransport({ api: url }));
      const chat = useChat({ transport });
      const text = textOf(chat.messages.at(-1));
      useLayoutEffect(() => {
        run.latest = { status: chat.status, text, error: chat.error };
      });
      useEffect(() => run.mounted(), []);
      return h('div', null, h('button', { onClick: () => void chat.sendMessage({ text: 'go' }) }, 'Send'), h('p', null, text));
    }
    const chatDone = ({ status, text, error }) => {
      if (status === 'error') return new Error(`useChat: ${error?.message ?? 'error'}`);
      if (status !== 'ready' || text.length === 0) return false;
      return text.length === expected.length && text === expected ? true : new Error(`useChat: wrong text (${text.length} chars, expected ${expected.length})`);
    };

    const contenders = {
      ours: { Component: Ours, isDone: oursDone },
      useChat: { Component: Chat, isDone: chatDone },
    };

    /** One mount, one stream, one unmount. */
    async function runOnce(name, scenario) {
      const { Component, isDone } = contenders[name];
      const container = document.createElement('div');
      document.body.append(container);
      const root = createRoot(container);
      let settle;
      const finished = new Promise((resolve, reject) => (settle = { resolve, reject }));
      const run = {
        latest: { status: null, text: '', error: null },
        mounted: null,
        started: false,
        ended: false,
        frameOfCommit: [],
        frameOfContentCommit: [],
        statusCommits: 0,
        lastStatus: null,
        afterDone: 0,
        t0: 0,
        t1: 0,
        frame0: 0,
        frame1: 0,
        callbacks0: 0,
        callbacks1: 0,
      };
      const mounted = new Promise((resolve) => {
        run.mounted = resolve;
      });
      // Runs after the layout effects of the commit (so `run.latest` is this commit's state).
      const onRender = () => {
        if (!run.started) return;
        if (run.ended) {
          run.afterDone++;
          return;
        }
        run.frameOfCommit.push(dom.counters.frames);
        if (run.latest.status !== run.lastStatus) run.statusCommits++;
        else run.frameOfContentCommit.push(dom.counters.frames);
        run.lastStatus = run.latest.status;
        const done = isDone(run.latest);
        if (done === false) return;
        run.t1 = performance.now();
        run.longestGap = Math.max(dom.counters.longestGap, run.t1 - dom.counters.lastFrameAt);
        run.frame1 = dom.counters.frames;
        run.callbacks1 = dom.counters.callbacks;
        run.ended = true;
        if (done === true) settle.resolve();
        else settle.reject(done);
      };
      root.render(h(Profiler, { id: name, onRender }, h(Component, { url: `${base}/${scenario}`, run })));
      await mounted;
      dom.startFrameClock();
      await new Promise((resolve) => setTimeout(resolve, 50)); // let the clock settle
      gc();
      await dom.nextFrame(); // start right after a frame, the GC pause behind
      run.lastStatus = run.latest.status;
      dom.counters.longestGap = 0;
      run.started = true;
      run.frame0 = dom.counters.frames;
      run.callbacks0 = dom.counters.callbacks;
      run.t0 = performance.now();
      // A click, as in an app: React runs the handler at discrete (sync) priority.
      container.querySelector('button').click();
      let timer;
      try {
        await Promise.race([
          finished,
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`${name} ${scenario}: not done after ${RUN_TIMEOUT_MS} ms (status ${run.latest.status}, ${run.latest.text.length} chars)`)), RUN_TIMEOUT_MS);
          }),
        ]);
        await new Promise((resolve) => setTimeout(resolve, 100)); // commits after the end would count here
      } finally {
        clearTimeout(timer);
        dom.stopFrameClock();
        root.unmount();
        container.remove();
      }
      const commits = run.frameOfCommit.length;
      const ms = run.t1 - run.t0;
      return {
        commits,
        ms,
        // per 16 ms of the run (the target's unit), whether or not the main thread let frames run
        commitsPer16ms: commits / (ms / 16),
        framesRun: run.frame1 - run.frame0,
        maxPerFrame: maxPerFrame(run.frameOfCommit),
        maxContentPerFrame: maxPerFrame(run.frameOfContentCommit),
        longestFrameGapMs: run.longestGap,
        statusCommits: run.statusCommits,
        commitsAfterDone: run.afterDone,
        rafCallbacks: run.callbacks1 - run.callbacks0,
        text: run.latest.text,
      };
    }

    /** The floor: the same request, the body read to the end, no decoding and no React. */
    async function transferOnce(scenario) {
      dom.startFrameClock();
      gc();
      await dom.nextFrame();
      dom.counters.longestGap = 0;
      const frame0 = dom.counters.frames;
      const t0 = performance.now();
      const response = await fetch(`${base}/${scenario}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      const reader = response.body.getReader();
      let bytes = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        bytes += value.byteLength;
      }
      const t1 = performance.now();
      const longestFrameGapMs = Math.max(dom.counters.longestGap, t1 - dom.counters.lastFrameAt);
      const framesRun = dom.counters.frames - frame0;
      dom.stopFrameClock();
      return { ms: t1 - t0, bytes, framesRun, longestFrameGapMs };
    }

    const scenarios = [
      { scenario: 'full', label: 'full speed', runs: quick ? 2 : 5 },
      { scenario: 'paced', label: '2 s paced', runs: quick ? 1 : 3 },
    ];

    // Warm-up (JIT, connection pool), not measured.
    for (const name of Object.keys(contenders)) await runOnce(name, 'full');

    const raw = {};
    const rows = [];
    for (const { scenario, label, runs } of scenarios) {
      const results = { ours: [], useChat: [] };
      const transfer = [];
      for (let i = 0; i < runs; i++) {
        transfer.push(await transferOnce(scenario));
        // Alternate who goes first, so drift hits both alike.
        const order = i % 2 ? ['useChat', 'ours'] : ['ours', 'useChat'];
        for (const name of order) results[name].push(await runOnce(name, scenario));
      }
      // Correctness: every run of both ended with the same, complete text.
      const all = [...results.ours, ...results.useChat];
      if (all.some((r) => r.text !== expected || r.text !== results.ours[0].text)) throw new Error(`render bench: the final texts differ (${scenario})`);
      for (const r of all) delete r.text;
      const summary = {};
      for (const name of ['ours', 'useChat']) {
        const list = results[name];
        const med = (key) => median(list.map((r) => r[key]));
        summary[name] = {
          commits: med('commits'),
          ms: med('ms'),
          commitsPer16ms: med('commitsPer16ms'),
          framesRun: med('framesRun'),
          maxPerFrame: Math.max(...list.map((r) => r.maxPerFrame)),
          maxContentPerFrame: Math.max(...list.map((r) => r.maxContentPerFrame)),
          longestFrameGapMs: med('longestFrameGapMs'),
          statusCommits: med('statusCommits'),
          rafCallbacks: med('rafCallbacks'),
          commitsAfterDone: Math.max(...list.map((r) => r.commitsAfterDone)),
        };
      }
      const commitRatio = summary.useChat.commits / summary.ours.commits;
      const timeRatio = summary.useChat.ms / summary.ours.ms;
      const transferMs = median(transfer.map((r) => r.ms));
      raw[scenario] = { runs, bytes: transfer[0].bytes, transferMs, transfer, results, summary, commitRatio, timeRatio };
      rows.push({
        scenario: label,
        contender: 'transfer only',
        commits: '-',
        'time ms': round(transferMs),
        'commits/16ms': '-',
        'frames run': median(transfer.map((r) => r.framesRun)),
        'status commits': '-',
        'max in 1 frame': '-',
        'max content in 1 frame': '-',
        'longest frame gap ms': round(median(transfer.map((r) => r.longestFrameGapMs))),
        'useChat/ours commits': '-',
        'useChat/ours time': '-',
      });
      for (const name of ['ours', 'useChat']) {
        const s = summary[name];
        rows.push({
          scenario: label,
          contender: name === 'ours' ? 'useModelStream' : 'useChat',
          commits: s.commits,
          'time ms': round(s.ms),
          'commits/16ms': round(s.commitsPer16ms, 2),
          'frames run': s.framesRun,
          'status commits': s.statusCommits,
          'max in 1 frame': s.maxPerFrame,
          'max content in 1 frame': s.maxContentPerFrame,
          'longest frame gap ms': round(s.longestFrameGapMs),
          'useChat/ours commits': name === 'ours' ? '-' : `${round(commitRatio)}x`,
          'useChat/ours time': name === 'ours' ? '-' : `${round(timeRatio, 2)}x`,
        });
      }
    }

    printTable(
      `render: ${DELTAS.toLocaleString('en')} AI SDK text deltas into a <p>, medians (full speed ${scenarios[0].runs} runs, paced ${scenarios[1].runs}; ` +
        'targets at full speed: useChat/ours commits >= 50x, ours <= 1 commit per frame, useChat/ours time >= 3x)',
      rows,
    );
    console.log(
      [
        'transfer only: the same request with the body read to the end (no decoding, no React): the floor.',
        'commits, time: from the click that starts the stream to the commit that shows the whole answer.',
        'commits/16ms: commits / (time / 16 ms). frames run: ~60 Hz jsdom animation frames that actually ran meanwhile (fewer = the main thread was held).',
        'status commits: commits where the status changed (start, first byte, end: they commit at once, by design); the rest are content updates.',
        'max in 1 frame: most commits between two frames that ran, in any run; max content in 1 frame: the same without status commits.',
        'longest frame gap: longest time the main thread went without a frame (a long task).',
      ].join('\n'),
    );
    return {
      deltas: DELTAS,
      paceMs: 2000,
      react: React.version,
      reactBuild,
      server: 'node:http on 127.0.0.1 in a worker thread; full = one write per delta with backpressure, paced = 1 ms ticks writing the deltas due',
      runs: Object.fromEntries(scenarios.map((s) => [s.scenario, s.runs])),
      rows,
      scenarios: raw,
    };
  } finally {
    // Let React's scheduled work (passive effects of the last unmount) and the hook's deferred
    // disconnect run while the DOM still exists.
    await new Promise((resolve) => setTimeout(resolve, 100));
    worker.postMessage('close');
    await Promise.race([once(worker, 'exit'), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
    await worker.terminate();
    dom.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const quick = process.argv.includes('--quick');
  const result = await benchRender({ quick });
  if (process.argv.includes('--json')) console.log(JSON.stringify(result, null, 2));
}
