import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { storybookTest } from '@storybook/addon-vitest/vitest-plugin';
import { playwright } from '@vitest/browser-playwright';
import { configDefaults, defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';

/**
 * Three projects: `unit` (Node and jsdom, test/**), `heap` (test/heap: the 1,000-cycle heap
 * check, in a worker started with `--expose-gc`) and `storybook` (every story's play function,
 * in Debian's Chromium through Vitest browser mode). No browser is ever downloaded: without
 * /usr/bin/chromium the story tests are skipped, loudly, and the others run.
 */
const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);

const unit: TestProjectInlineConfiguration = {
  extends: true,
  test: {
    name: 'unit',
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    exclude: [...configDefaults.exclude, 'test/heap/**'],
    environment: 'node',
    testTimeout: 20_000,
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
    projects: hasChromium ? [unit, heap, storybook()] : [unit, heap],
  },
});
