import { defineConfig } from 'vite';

// Storybook's own Vite config (see main.ts). Deliberately empty: the root vite.config.ts builds the
// library, and its settings (lib entries, externals, `publicDir: false`) do not belong in Storybook.
export default defineConfig({});
