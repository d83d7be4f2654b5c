// `npm run bench`: measures the built package (dist/) side by side with its reference points in
// one process, and prints medians. Results go to bench/results.json.
//
//   npm run bench                 # everything
//   npm run bench -- --only=decode,partial-json,render,server,resume
//   npm run bench -- --quick      # fewer runs and a 10 s cap for the competitors (a smoke test)
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchDecode } from './decode.mjs';
import { benchPartialJson } from './partialJson.mjs';
import { benchRender } from './render.mjs';
import { benchResume } from './resume.mjs';
import { benchServer } from './server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.find((a) => a.startsWith('--only='))?.slice(7).split(',') ?? null;
const want = (name) => !only || only.includes(name);

const results = {
  date: new Date().toISOString(),
  machine: {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  },
  quick,
};

if (want('decode')) results.decode = await benchDecode({ quick });
if (want('partial-json')) results.partialJson = await benchPartialJson({ quick });
if (want('render')) results.render = await benchRender({ quick });
if (want('server')) results.server = await benchServer({ quick });
if (want('resume')) results.resume = await benchResume({ quick });

const out = join(here, quick ? 'results.local.json' : 'results.json');
// `--only=…` replaces its own sections and keeps the others' last figures (each section carries the date it was measured).
for (const key of ['decode', 'partialJson', 'render', 'server', 'resume']) if (results[key]) results[key] = { measuredAt: results.date, ...results[key] };
const kept = only && existsSync(out) ? JSON.parse(readFileSync(out, 'utf8')) : {};
writeFileSync(out, `${JSON.stringify({ ...kept, ...results }, null, 2)}\n`);
console.log(`\nmachine: ${results.machine.cpu}, ${results.machine.cores} cores, Node ${results.machine.node}`);
console.log(`written: ${out}`);
