import { afterEach, expect, it, vi } from 'vitest';

// flushOnPageHide and onOtherTabWrite on their own: one page listener (added once, with the first
// handler) serves every handler; a throwing handler is reported and does not stop the others;
// without a page nothing is added. Each test loads the modules afresh (their listeners are
// added once per module instance).

afterEach(() => {
  vi.unstubAllGlobals();
});

type Listener = (event?: unknown) => void;

function stubPage() {
  const added: [string, Listener][] = [];
  vi.stubGlobal('addEventListener', (type: string, listener: Listener) => added.push([type, listener]));
  const fire = (type: string, event?: unknown) => {
    for (const [t, listener] of added) if (t === type) listener(event);
  };
  return { added, fire };
}

async function load() {
  vi.resetModules();
  const { onOtherTabWrite } = await import('../../src/store/onOtherTabWrite');
  const { flushOnPageHide } = await import('../../src/store/flushOnPageHide');
  return { onOtherTabWrite, flushOnPageHide };
}

it('onOtherTabWrite: one storage listener, added once, calls every handler; one that throws is reported', async () => {
  const page = stubPage();
  const reported: unknown[] = [];
  vi.stubGlobal('reportError', (error: unknown) => reported.push(error));
  const { onOtherTabWrite } = await load();
  const seen: string[] = [];
  const handlers = [
    (event: { key: string | null }) => seen.push(`a:${event.key}`),
    () => {
      throw new Error('handler threw');
    },
    (event: { key: string | null }) => seen.push(`c:${event.key}`),
  ];
  for (const handler of handlers) onOtherTabWrite(handler);
  expect(page.added.map(([type]) => type)).toEqual(['storage']);
  page.fire('storage', { key: 'chat', newValue: '{}' });
  expect(seen).toEqual(['a:chat', 'c:chat']);
  expect(reported.map((error) => (error as Error).message)).toEqual(['handler threw']);

  // Another page stand-in later on does not get a second listener: the module listens once.
  const later = stubPage();
  onOtherTabWrite(() => {});
  expect(later.added).toEqual([]);
});

it('flushOnPageHide: a pagehide, or a visibilitychange to hidden, calls every flush', async () => {
  const page = stubPage();
  const document = { visibilityState: 'visible' };
  vi.stubGlobal('document', document);
  const { flushOnPageHide } = await load();
  const calls: string[] = [];
  flushOnPageHide(() => calls.push('a'));
  flushOnPageHide(() => calls.push('b'));
  expect(page.added.map(([type]) => type)).toEqual(['pagehide', 'visibilitychange']);
  page.fire('visibilitychange');
  expect(calls).toEqual([]);
  document.visibilityState = 'hidden';
  page.fire('visibilitychange');
  page.fire('pagehide');
  expect(calls).toEqual(['a', 'b', 'a', 'b']);
});

it('without a page (SSR, workers) nothing is added, and a page that appears later gets the listeners', async () => {
  const { onOtherTabWrite, flushOnPageHide } = await load();
  onOtherTabWrite(() => {});
  flushOnPageHide(() => {});
  const page = stubPage();
  const calls: string[] = [];
  flushOnPageHide(() => calls.push('flushed'));
  expect(page.added.map(([type]) => type)).toEqual(['pagehide', 'visibilitychange']);
  page.fire('pagehide');
  expect(calls).toEqual(['flushed']);
});
