import { defineConfig } from 'vite';

// Library build: one ESM file per public entry, peers and runtime deps left external so the
// app's bundler dedupes them. Declarations come from `tsc -p tsconfig.build.json` (see TOOLCHAIN:
// vite-plugin-dts blocks TypeScript upgrades).
const entries = {
  index: 'src/index.ts',
  'core/index': 'src/core/index.ts',
  'store/index': 'src/store/index.ts',
  'server/index': 'src/server/index.ts',
  'server/redis/index': 'src/server/redis/index.ts',
};

const external = [/^react($|\/)/, /^react-dom($|\/)/, /^zustand($|\/)/, /^@tanstack\//, /^eventsource-parser($|\/)/, /^redis($|\/)/, /^node:/];

export default defineConfig({
  publicDir: false,
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
      // in the bundle it must (and does) stay on the React entry, which scripts/check-dist.mjs verifies.
      onwarn(warning, warn) {
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
      output: { entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' },
    },
  },
});
