import { measure } from './size.mjs';
const root = process.cwd();
const app = `export { useModelStream, StopButton } from '${root}/src/index.ts';
export { createMessageStore } from '${root}/src/store/index.ts';`;
const stubs = process.argv.slice(2);
const plugin = { name: 'stub', setup(b) { b.onLoad({ filter: /\.tsx?$/ }, (args) => { const hit = stubs.find((s) => args.path.endsWith(s.split(':')[0])); if (!hit) return; const names = hit.split(':')[1].split(','); return { contents: names.map((n) => `export const ${n} = (() => ({})) as any;`).join('\n'), loader: 'ts' }; }); } };
const base = await measure(app);
const m = await measure(app, undefined, [plugin]);
console.log('base', base.gzip, 'stubbed', m.gzip, 'saved', base.gzip - m.gzip);
