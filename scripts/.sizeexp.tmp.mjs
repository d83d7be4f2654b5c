import * as esbuild from 'esbuild';
import { gzipSync } from 'node:zlib';
const stubs = (process.argv[2]||'').split(',').filter(Boolean);
const plugin = { name: 'stub', setup(b) {
  b.onLoad({ filter: /src\/.*\.tsx?$/ }, async (args) => {
    const hit = stubs.find(s => args.path.endsWith(s));
    if (!hit) return;
    const src = await (await import('node:fs/promises')).readFile(args.path, 'utf8');
    const names = [...src.matchAll(/export (?:async )?(?:function|const|class|let) (\w+)/g)].map(m => m[1]);
    return { contents: names.map(n => `export const ${n} = (()=>{}) as any;`).join('\n'), loader: 'ts' };
  });
}};
const r = await esbuild.build({ entryPoints: ['/tmp/entry.ts'], bundle: true, minify: true, format: 'esm', target: 'es2022', write: false,
  external: ['react', 'react-dom', 'zustand', 'zustand/*', '@tanstack/*', 'react/*'], plugins: [plugin], logLevel: 'error' });
const js = r.outputFiles[0].text;
console.log(stubs.join(',') || '(none)', js.length, gzipSync(js, { level: 9 }).length);
