// What a part of the library costs the app case of `npm run size`: the same bundle with the named
// source modules replaced by empty stubs (their exports become no-ops), so the difference is what
// those modules, and whatever only they import, add. A measuring aid for docs/size.md, not a build:
//
//   node scripts/size-marginal.mjs partialJson.ts
//   node scripts/size-marginal.mjs openaiResponses.ts,anthropic.ts,aiSdk.ts,detectProtocol.ts
import { readFile } from 'node:fs/promises';
import { cases, measure } from './size.mjs';

const stubbed = (process.argv[2] ?? '').split(',').filter(Boolean);
const stub = {
  name: 'stub',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/].*\.tsx?$/ }, async ({ path }) => {
      if (!stubbed.some((name) => path.endsWith(`/${name}`))) return undefined;
      const source = await readFile(path, 'utf8');
      const names = [...source.matchAll(/export (?:async )?(?:function|const|class|let) (\w+)/g)].map((m) => m[1]);
      return { contents: names.map((n) => `export const ${n} = (() => {}) as any;`).join('\n'), loader: 'ts' };
    });
  },
};

const app = cases[0];
const { gzip: whole } = await measure(app.code);
const { gzip: without } = await measure(app.code, undefined, [stub]);
const kb = (n) => `${(n / 1024).toFixed(2)} KB`;
console.log(`${app.name}: ${kb(whole)} gz; without ${stubbed.join(', ') || '(nothing)'}: ${kb(without)} (−${kb(whole - without)})`);
