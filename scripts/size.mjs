// `npm run size`: the cost of this library in an app, measured the way an app pays it. Each case
// is a tiny app entry bundled by Vite (Rolldown) for the browser, minified, with the peers (react,
// react-dom, zustand, @tanstack/react-query) left external since the app has them anyway; the
// figure is the gzip size of the whole output. The AI SDK's `useChat` is measured the same way,
// side by side, for reference. Fails when a budget is exceeded.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tmp = join(root, 'node_modules', '.cache', 'rms-size');
const PEERS = [/^react($|\/)/, /^react-dom($|\/)/, /^zustand($|\/)/, /^@tanstack\/react-query($|\/)/, /^@tanstack\/query-core($|\/)/];

const cases = [
  {
    name: 'useModelStream + StopButton + store',
    budget: 8 * 1024,
    code: `import { useModelStream, StopButton } from '${root}/src/index.ts';
import { createMessageStore } from '${root}/src/store/index.ts';
export { useModelStream, StopButton, createMessageStore };`,
  },
  {
    name: 'core: collectStream',
    code: `export { collectStream } from '${root}/src/core/index.ts';`,
  },
  {
    name: 'reference: @ai-sdk/react useChat',
    code: `export { useChat } from '@ai-sdk/react';`,
  },
];

async function measure({ code }) {
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const entry = join(tmp, 'entry.js');
  writeFileSync(entry, code);
  const output = await build({
    root,
    configFile: false,
    logLevel: 'silent',
    publicDir: false,
    build: {
      write: false,
      minify: true,
      target: 'es2022',
      lib: { entry, formats: ['es'], fileName: 'app' },
      rolldownOptions: { external: PEERS },
    },
  });
  const outputs = (Array.isArray(output) ? output : [output]).flatMap((o) => o.output);
  const js = outputs.filter((o) => o.type === 'chunk').map((o) => o.code).join('\n');
  return { min: Buffer.byteLength(js), gzip: gzipSync(js, { level: 9 }).length };
}

const kb = (n) => `${(n / 1024).toFixed(2)} KB`;
let failed = false;
console.log('size (minified, gzip -9; peers external)');
for (const c of cases) {
  const { min, gzip } = await measure(c);
  const verdict = c.budget ? (gzip <= c.budget ? `ok (budget ${kb(c.budget)})` : `OVER BUDGET (${kb(c.budget)})`) : '';
  if (c.budget && gzip > c.budget) failed = true;
  console.log(`${c.name.padEnd(40)} ${kb(min).padStart(10)} min ${kb(gzip).padStart(10)} gz  ${verdict}`);
}
rmSync(tmp, { recursive: true, force: true });
if (failed) process.exit(1);
