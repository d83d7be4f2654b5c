// Measures partial-JSON parsers on the tool-argument workload (bench/partialJsonWorkload.mjs): the
// text is fed in 8-character deltas and the current value is read after every delta.
//
//   node --expose-gc bench/partialJson.explore.mjs [--slow]
//
// Compared: ours (src/core/partialJson.ts, as shipped, and an "exact" variant with the rebuild
// budget switched off), jsonriver 1.1.1 (as is, and with a structuredClone per delta to get the
// immutable snapshots our contract requires), and `ai`'s parsePartialJson (10 KB and 100 KB only:
// it re-parses the whole text per delta; jsonriver with clones at 1 MB only with --slow). Prints one line per measurement (median of several runs)
// and checks every final value against JSON.parse. Results are recorded in docs/partial-json.md.

import { deepStrictEqual } from 'node:assert';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parse as jsonriverParse } from 'jsonriver';
import { parsePartialJson } from 'ai';
import { importTs, projectRoot } from './loadTs.mjs';
import { makeSmallItemsText, makeToolArgsText, splitEvery } from './partialJsonWorkload.mjs';

const DELTA = 8;
const SIZES = [10_000, 100_000, 1_000_000];
const SLOW = process.argv.includes('--slow');
const gc = globalThis.gc ?? (() => {});

const { createParser: createPartialJsonParser } = await importTs('src/core/partialJson.ts');
const createExactParser = await loadExactVariant();

/** The shipped parser with FREE_REBUILD_ENTRIES = Infinity: every value() is an exact snapshot. */
async function loadExactVariant() {
  const root = join(projectRoot, 'node_modules', '.cache', 'rms-bench', `exact-variant-${process.pid}`);
  const dir = join(root, 'core');
  mkdirSync(dir, { recursive: true });
  process.once('exit', () => rmSync(root, { recursive: true, force: true }));
  const source = readFileSync(join(projectRoot, 'src/core/partialJson.ts'), 'utf8');
  const patched = source.replace(/const FREE_REBUILD_ENTRIES = [\d_]+;/, 'const FREE_REBUILD_ENTRIES = Infinity;');
  if (patched === source) throw new Error('could not switch off the rebuild budget');
  writeFileSync(join(dir, 'partialJson.ts'), patched);
  copyFileSync(join(projectRoot, 'src/core/errors.ts'), join(dir, 'errors.ts'));
  return (await importTs(join(dir, 'partialJson.ts'))).createParser;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Runs `fn` (sync or async) `runs` times; returns the median and the fastest run in ms. */
async function time(fn, runs) {
  const samples = [];
  for (let r = 0; r < runs; r++) {
    gc();
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  return { median: median(samples), min: Math.min(...samples) };
}

function runOurs(create, deltas) {
  const parser = create();
  let last;
  for (const d of deltas) {
    parser.push(d);
    last = parser.value();
  }
  return last;
}

async function* chunks(deltas) {
  for (const d of deltas) yield d;
}

/** jsonriver as it is meant to be used: one value per yield, the same object mutated in place. */
async function runJsonriver(deltas, snapshot = false) {
  let last;
  let reads = 0;
  for await (const v of jsonriverParse(chunks(deltas))) {
    last = snapshot ? structuredClone(v) : v;
    reads++;
  }
  runJsonriver.reads = reads;
  return last;
}

async function runAi(deltas) {
  let text = '';
  let last;
  for (const d of deltas) {
    text += d;
    last = (await parsePartialJson(text)).value;
  }
  return last;
}

const fmt = (ms) => (ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0)).padStart(8) + ' ms';

async function measure(label, text, fn, runs) {
  const deltas = splitEvery(text, DELTA);
  const expected = JSON.parse(text);
  // The check doubles as the warm-up run (JIT) before timing.
  deepStrictEqual(await fn(deltas), expected, `${label}: final value differs from JSON.parse`);
  const { median: ms, min } = await time(() => fn(deltas), runs);
  console.log(`${label.padEnd(58)} ${String(text.length).padStart(9)} chars ${String(deltas.length).padStart(7)} deltas ${fmt(ms)} (fastest ${fmt(min).trim()}, ${runs} runs)`);
}

/** How far behind the exact value the shipped parser's value() is, sampled every 256 deltas (in characters of JSON.stringify). */
function lag(text) {
  const deltas = splitEvery(text, DELTA);
  const ours = createPartialJsonParser();
  const exact = createExactParser();
  let samples = 0;
  let stale = 0;
  let worst = 0;
  for (let i = 0; i < deltas.length; i++) {
    ours.push(deltas[i]);
    exact.push(deltas[i]);
    const v = ours.value();
    const w = exact.value();
    if (i % 256 !== 0) continue;
    samples++;
    const behind = JSON.stringify(w).length - JSON.stringify(v).length;
    if (behind > 0) stale++;
    worst = Math.max(worst, behind);
  }
  return `${stale}/${samples} sampled reads behind, worst ${worst} chars`;
}

console.log(`node ${process.version}, ${DELTA}-character deltas, value read after every delta, median of runs (load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} CPUs)\n`);

for (const bytes of SIZES) {
  const text = makeToolArgsText(bytes);
  const runs = bytes >= 1_000_000 ? 5 : 9;
  const kb = `${bytes / 1000} KB`;
  await measure(`ours (shipped) tool args ${kb}`, text, (d) => runOurs(createPartialJsonParser, d), runs);
  await measure(`ours, exact variant (no budget) tool args ${kb}`, text, (d) => runOurs(createExactParser, d), runs);
  await measure(`jsonriver (mutable, no snapshot) tool args ${kb}`, text, (d) => runJsonriver(d), runs);
  console.log(`${''.padEnd(58)} jsonriver yielded ${runJsonriver.reads} values for ${splitEvery(text, DELTA).length} deltas`);
  // Quadratic: about 5 minutes at 1 MB, so only with --slow.
  if (bytes <= 100_000 || SLOW) {
    await measure(`jsonriver + structuredClone per delta tool args ${kb}`, text, (d) => runJsonriver(d, true), bytes >= 100_000 ? 1 : 3);
  }
  if (bytes <= 100_000) await measure(`ai parsePartialJson tool args ${kb}`, text, runAi, bytes >= 100_000 ? 1 : 3);
}
for (const bytes of [100_000, 1_000_000]) {
  const text = makeToolArgsText(bytes, { asciiOnly: true });
  await measure(`ours (shipped) tool args, \\u-escaped ${bytes / 1000} KB`, text, (d) => runOurs(createPartialJsonParser, d), 5);
}
for (const bytes of [100_000, 1_000_000]) {
  const text = makeSmallItemsText(bytes);
  const kb = `${bytes / 1000} KB`;
  await measure(`ours (shipped) one array of small records ${kb}`, text, (d) => runOurs(createPartialJsonParser, d), 5);
  await measure(`ours, exact variant, one array of small records ${kb}`, text, (d) => runOurs(createExactParser, d), 1);
  await measure(`jsonriver (mutable), one array of small records ${kb}`, text, (d) => runJsonriver(d), 5);
}

// The 1 MB / 100 KB ratio from the runs above mixes moments of different machine load. Here each
// round times 100 KB then 1 MB back to back, and the ratio is the median of the per-round ratios.
async function interleavedRatio(label, makeText, fn, rounds = 7) {
  const small = splitEvery(makeText(100_000), DELTA);
  const large = splitEvery(makeText(1_000_000), DELTA);
  const ratios = [];
  const smallMs = [];
  const largeMs = [];
  for (let r = 0; r < rounds; r++) {
    gc();
    let t0 = performance.now();
    await fn(small);
    smallMs.push(performance.now() - t0);
    gc();
    t0 = performance.now();
    await fn(large);
    largeMs.push(performance.now() - t0);
    ratios.push(largeMs[r] / smallMs[r]);
  }
  console.log(`  ${label.padEnd(44)} 100 KB ${fmt(median(smallMs))}   1 MB ${fmt(median(largeMs))}   ratio ${median(ratios).toFixed(1).padStart(5)}`);
}
console.log('\n1 MB / 100 KB, interleaved (7 rounds, medians):');
await interleavedRatio('ours (shipped), tool args', makeToolArgsText, (d) => runOurs(createPartialJsonParser, d));
await interleavedRatio('ours, exact variant, tool args', makeToolArgsText, (d) => runOurs(createExactParser, d));
await interleavedRatio('jsonriver (mutable), tool args', makeToolArgsText, (d) => runJsonriver(d));
await interleavedRatio('ours (shipped), tool args \\u-escaped', (b) => makeToolArgsText(b, { asciiOnly: true }), (d) => runOurs(createPartialJsonParser, d));
await interleavedRatio('ours (shipped), one array of small records', makeSmallItemsText, (d) => runOurs(createPartialJsonParser, d));
await interleavedRatio('jsonriver (mutable), one array of small records', makeSmallItemsText, (d) => runJsonriver(d));

// Work, counted rather than timed (deterministic, unaffected by machine load): entries of the
// arrays and objects that each value() returned for the first time, i.e. what path copying copied.
function copiedPerChar(create, text) {
  const seen = new WeakSet();
  let copied = 0;
  const visit = (v) => {
    if (typeof v !== 'object' || v === null || seen.has(v)) return;
    seen.add(v);
    const children = Object.values(v);
    copied += children.length;
    for (const child of children) visit(child);
  };
  const parser = create();
  for (const d of splitEvery(text, DELTA)) {
    parser.push(d);
    visit(parser.value());
  }
  return (copied / text.length).toFixed(1);
}
console.log('\nentries copied per input character (shipped / exact variant):');
for (const bytes of SIZES) {
  const text = makeToolArgsText(bytes);
  console.log(`  tool args ${String(bytes / 1000).padStart(5)} KB:       ${copiedPerChar(createPartialJsonParser, text)} / ${copiedPerChar(createExactParser, text)}`);
}
for (const bytes of [100_000, 1_000_000]) {
  const text = makeSmallItemsText(bytes);
  // The exact variant at 1 MB copies ~2.4 billion entries; counting them from outside takes minutes.
  const exact = bytes < 1_000_000 || SLOW ? copiedPerChar(createExactParser, text) : 'skipped (--slow)';
  console.log(`  small records ${String(bytes / 1000).padStart(5)} KB:   ${copiedPerChar(createPartialJsonParser, text)} / ${exact}`);
}

console.log('\nstaleness of the shipped parser against the exact variant:');
console.log(`  tool args 1 MB:           ${lag(makeToolArgsText(1_000_000))}`);
console.log(`  small records 1 MB:       ${lag(makeSmallItemsText(1_000_000))}`);

// jsonriver's contract, observed: one object mutated in place (no snapshots, no sharing), and no
// synchronous way to see a pushed delta.
{
  const seen = [];
  for await (const v of jsonriverParse(chunks(['{"a":[1,', '2],"b":"x', 'y"}']))) seen.push([v, JSON.stringify(v)]);
  const sameObject = seen.every(([v]) => v === seen[0][0]);
  console.log(`\njsonriver yields ${seen.length} values, all the same object: ${sameObject}; first as yielded ${seen[0][1]}, that object now ${JSON.stringify(seen[0][0])}`);

  let push;
  const pushed = { [Symbol.asyncIterator]: () => ({ next: () => new Promise((r) => (push = (value) => r({ value, done: false }))) }) };
  let current;
  const reader = (async () => {
    for await (const v of jsonriverParse(pushed)) current = JSON.stringify(v);
  })();
  await new Promise((r) => setTimeout(r, 0));
  push('{"a":"hello"');
  console.log(`jsonriver fed through a push queue: value right after push() = ${current}; after a macrotask:`, await new Promise((r) => setTimeout(() => r(current), 0)));
  void reader;
}
console.log(`\nload average at the end ${os.loadavg()[0].toFixed(1)}`);
process.exit(0);
