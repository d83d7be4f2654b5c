import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

// Library build: one ESM file per public entry, peers and runtime deps left external so the
// app's bundler dedupes them. Declarations come from `tsc -p tsconfig.build.json` (see TOOLCHAIN:
// vite-plugin-dts blocks TypeScript upgrades).
//
// `react/index` is an entry of its own so that it keeps its 'use client' (Rolldown keeps a directive
// only on an entry): the React modules all land in dist/react/index.js, marked, and the root entry
// dist/index.js is a plain module re-exporting it next to the pure helpers, which a server (a Next.js
// route handler) can then call. scripts/check-dist.mjs verifies where the directive is.
const entries = {
  index: 'src/index.ts',
  'react/index': 'src/react/index.ts',
  'core/index': 'src/core/index.ts',
  'store/index': 'src/store/index.ts',
  'server/index': 'src/server/index.ts',
  'server/redis/index': 'src/server/redis/index.ts',
  'testing/index': 'src/testing/index.ts',
};

/**
 * The root entry's `export * from './react/index'` stays an import of the built React entry instead
 * of pulling its modules in: bundled, the React modules (reached from two entries) went to a shared
 * chunk without the directive, behind a marked two-line facade. This way all of them are in
 * dist/react/index.js, under its 'use client'.
 */
const rootEntry = fileURLToPath(new URL('./src/index.ts', import.meta.url));
const reactEntryAsFile: Plugin = {
  name: 'react-model-stream:react-entry-as-file',
  enforce: 'pre',
  resolveId(source, importer) {
    if (importer === rootEntry && source === './react/index') return { id: './react/index.js', external: true };
    return null;
  },
};

const external = [/^react($|\/)/, /^react-dom($|\/)/, /^zustand($|\/)/, /^@tanstack\//, /^eventsource-parser($|\/)/, /^redis($|\/)/, /^msw($|\/)/, /^node:/];

export default defineConfig({
  publicDir: false,
  plugins: [reactEntryAsFile],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    minify: false,
    target: 'es2022',
    lib: { entry: entries, formats: ['es'] },
    rolldownOptions: {
      external,
      // 'use client' sits on every React module for readers and for apps that compile the source;
      // in the bundle it stays on the React entry (dist/react/index.js), which scripts/check-dist.mjs verifies.
      onwarn(warning, warn) {
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
      output: { entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' },
    },
  },
});
