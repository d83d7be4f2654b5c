import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { storybookTest } from '@storybook/addon-vitest/vitest-plugin';
import { playwright } from '@vitest/browser-playwright';
import { configDefaults, defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';

/**
 * Four projects: `unit` (Node and jsdom, test/**, and the type tests test/types/*.test-d.ts), `heap` (test/heap: the 1,000-cycle heap
 * check, in a worker started with `--expose-gc`), `react18` (the React tests on React 18) and `storybook` (every story's play function,
 * in Debian's Chromium through Vitest browser mode). No browser is ever downloaded: without
 * /usr/bin/chromium the story tests are skipped, loudly, and the others run.
 */
const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);

/**
 * The package's own name resolves to its source (as `paths` in tsconfig.json does for types), so an
 * example written as a user writes it — `from 'react-model-stream/testing'` — runs as a test
 * (test/testing/example/, shown verbatim in docs/testing.md).
 */
const selfReference = [
  { find: /^react-model-stream$/, replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
  { find: /^react-model-stream\/(core|store|server|server\/redis|testing)$/, replacement: fileURLToPath(new URL('./src/$1/index.ts', import.meta.url)) },
];

const unit: TestProjectInlineConfiguration = {
  extends: true,
  resolve: { alias: selfReference },
  test: {
    name: 'unit',
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    setupFiles: ['test/setup/provideChunks.ts'],
    exclude: [...configDefaults.exclude, 'test/heap/**', 'test/react18/**'],
    environment: 'node',
    testTimeout: 20_000,
    // Type tests of the public API (`expectTypeOf`, test/types/*.test-d.ts), checked by tsc, never
    // run: a type assertion that does not hold (or an unused `@ts-expect-error`) fails the run.
    // test/types/tsconfig.json extends the project's (its `paths` resolve `react-model-stream/*` to
    // src/, as a user's import resolves to the package) and includes only the type tests, so tsc
    // checks them and what they import, not the whole project a second time (`npm run typecheck`).
    typecheck: {
      enabled: true,
      checker: 'tsc',
      include: ['test/**/*.test-d.ts'],
      tsconfig: './test/types/tsconfig.json',
    },
  },
};

/** `globalThis.gc` for the heap check: its own forks worker, started with `--expose-gc`. */
const heap: TestProjectInlineConfiguration = {
  extends: true,
  test: {
    name: 'heap',
    include: ['test/heap/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    execArgv: ['--expose-gc'],
    testTimeout: 600_000,
    // As the unit project: the lazy chunks loaded (test/heap/persistedStores.test.ts merges another tab's write at once).
    setupFiles: ['test/setup/provideChunks.ts'],
  },
};

/**
 * The React tests again, on React 18 (`test/react18`, an npm workspace holding react and react-dom
 * 18.3.1, installed by the root `npm ci`): every import of react / react-dom, ours and the testing
 * libraries' (inlined so the alias reaches them), resolves to React 18 (`test/react18/version.test.tsx`
 * proves it). The one React 19-only test (ref cleanups) skips itself there.
 */
const REACT18 = fileURLToPath(new URL('./test/react18/node_modules/', import.meta.url));
const react18: TestProjectInlineConfiguration = {
  extends: true,
  resolve: {
    alias: [
      { find: /^react$/, replacement: `${REACT18}react/index.js` },
      { find: /^react\/(.*)$/, replacement: `${REACT18}react/$1.js` },
      { find: /^react-dom$/, replacement: `${REACT18}react-dom/index.js` },
      { find: /^react-dom\/(.*)$/, replacement: `${REACT18}react-dom/$1.js` },
      // Its ESM build (`main` is CommonJS, whose `require`s the alias would not reach).
      {
        find: /^@testing-library\/react$/,
        replacement: fileURLToPath(new URL('./node_modules/@testing-library/react/dist/@testing-library/react.esm.js', import.meta.url)),
      },
    ],
  },
  test: {
    name: 'react18',
    include: ['test/react18/**/*.test.tsx', 'test/react/**/*.test.tsx', 'test/faults/keepalive.hook.test.tsx', 'test/faults/hook-fuzz.test.tsx'],
    setupFiles: ['test/setup/provideChunks.ts'],
    exclude: [...configDefaults.exclude],
    environment: 'node',
    testTimeout: 20_000,
    server: { deps: { inline: ['@testing-library/react', '@tanstack/react-query'] } },
  },
};

/** Built only when Chromium is there: the Storybook plugin loads the whole Storybook config. */
const storybook = (): TestProjectInlineConfiguration => ({
  extends: true,
  plugins: [storybookTest({ configDir: fileURLToPath(new URL('./.storybook', import.meta.url)) })],
  test: {
    name: 'storybook',
    setupFiles: ['.storybook/vitest.setup.ts'],
    testTimeout: 20_000,
    browser: {
      enabled: true,
      headless: true,
      provider: playwright({
        launchOptions: {
          executablePath: CHROMIUM,
          args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
        },
      }),
      instances: [{ browser: 'chromium' }],
    },
  },
});

// Vitest evaluates this file more than once per run; the notice is printed once per process.
const NOTICE = Symbol.for('react-model-stream.storyTestsSkippedNotice');
const scope = globalThis as { [NOTICE]?: boolean };
if (!hasChromium && !scope[NOTICE]) {
  scope[NOTICE] = true;
  console.warn(`STORY TESTS SKIPPED: ${CHROMIUM} not found (apt-get install -y chromium)`);
}

export default defineConfig({
  test: {
    projects: hasChromium ? [unit, heap, react18, storybook()] : [unit, heap, react18],
  },
});
