// Partial JSON: tool arguments of 10 KB, 100 KB and 1 MB fed in 8-character deltas, the current
// value read after every delta; ours (createPartialJsonParser) against the AI SDK's
// parsePartialJson on the accumulated text, which is what its UI does per delta. The AI SDK is
// capped at 60 s a size and reported as "did not finish" past it.
import { parsePartialJson } from 'ai';
import { createPartialJsonParser } from '../dist/core/index.js';
import { makeToolArgs, splitEvery } from './partialJsonWorkload.mjs';
import { gc, median, printTable, round } from './stats.mjs';

const SIZES = [
  ['10 KB', 10 * 1024],
  ['100 KB', 100 * 1024],
  ['1 MB', 1024 * 1024],
];

function ours(deltas) {
  const parser = createPartialJsonParser();
  let value;
  for (const delta of deltas) {
    parser.push(delta);
    value = parser.value();
  }
  return value;
}

async function aiSdk(deltas, capMs) {
  const start = performance.now();
  let text = '';
  for (const delta of deltas) {
    text += delta;
    await parsePartialJson(text);
    if (performance.now() - start > capMs) return null;
  }
  return performance.now() - start;
}

export async function benchPartialJson({ quick }) {
  const runs = quick ? 3 : 9;
  const capMs = quick ? 10_000 : 60_000;
  const rows = [];
  const times = {};
  for (const [label, bytes] of SIZES) {
    const text = JSON.stringify(makeToolArgs(bytes));
    const deltas = splitEvery(text, 8);
    const expected = JSON.parse(text);
    const check = ours(deltas);
    if (JSON.stringify(check) !== JSON.stringify(expected)) throw new Error(`partial JSON: wrong final value for ${label}`);
    const oursMs = [];
    for (let i = 0; i < runs; i++) {
      gc();
      const start = performance.now();
      ours(deltas);
      oursMs.push(performance.now() - start);
    }
    gc();
    const aiMs = await aiSdk(deltas, capMs);
    times[label] = median(oursMs);
    rows.push({
      size: label,
      deltas: deltas.length,
      'ours ms': round(median(oursMs), 2),
      'AI SDK ms': aiMs === null ? `did not finish in ${capMs / 1000} s` : round(aiMs, 0),
      'AI SDK/ours': aiMs === null ? `> ${Math.round(capMs / median(oursMs))}x` : `${Math.round(aiMs / median(oursMs))}x`,
    });
  }
  const ratio = times['1 MB'] / times['100 KB'];
  printTable(`partial JSON, 8-char deltas, value() after each; ours median of ${runs} runs, AI SDK one run capped at ${capMs / 1000} s`, rows);
  console.log(`1 MB / 100 KB time ratio (ours): ${round(ratio, 1)} (target <= 15; 100 KB <= 50 ms; 1 MB <= 500 ms)`);
  return { runs, capMs, rows, ratio1MBto100KB: round(ratio, 2) };
}
