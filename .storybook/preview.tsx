import type { Preview } from '@storybook/react-vite';
import { StrictMode } from 'react';
import { setupWorker } from 'msw/browser';
import { mswLoader } from 'msw-storybook-addon/csf3';
import { handlers } from '../stories/mocks/handlers';

/**
 * The worker script sits next to iframe.html in Storybook (dev and static build, at any base
 * path), and at the server root under Vitest's browser mode.
 */
function workerUrl(): string {
  const { pathname } = globalThis.location;
  return pathname.endsWith('/iframe.html') ? `${pathname.slice(0, -'iframe.html'.length)}mockServiceWorker.js` : '/mockServiceWorker.js';
}

const preview: Preview = {
  // Every story renders inside <StrictMode> (double render, its extra warnings), as apps do. A
  // decorator rather than the framework's `strictMode` option, which the Vitest runs do not
  // apply. (StrictMode's double mount of the hook is covered by test/react/lifecycle.test.tsx.)
  decorators: [
    (Story) => (
      <StrictMode>
        <Story />
      </StrictMode>
    ),
  ],
  loaders: [
    mswLoader(async () => {
      const worker = setupWorker();
      await worker.start({
        quiet: true,
        serviceWorker: { url: workerUrl() },
        // Only the mock API is ours to answer; module, asset and Storybook requests go to the network.
        // An /api/ request without a handler is a bug in a story: it logs an error, which fails its test.
        onUnhandledRequest(request, print) {
          if (new URL(request.url).pathname.startsWith('/api/')) print.error();
        },
      });
      return worker;
    }),
  ],
  parameters: {
    msw: { handlers },
    layout: 'padded',
    controls: { expanded: true },
  },
};

export default preview;
