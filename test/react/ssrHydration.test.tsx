// @vitest-environment jsdom
import { act } from '@testing-library/react';
import { hydrateRoot, type Root } from 'react-dom/client';
import { renderToString } from 'react-dom/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { StateStorage } from 'zustand/middleware';
import { useConversationMessages, useMessage, useModelStream } from '../../src/react';
import { createMessageStore, type MessageStore } from '../../src/store';

// A Next.js client component is rendered twice: to HTML on the server, where there is no
// localStorage (so a persisted store is empty there), then hydrated in the browser, where the
// persisted store has already read its messages. React requires the hydrating render to match the
// server HTML; the hooks therefore read the store's initial (not yet hydrated) state while
// hydrating, as zustand's own `useStore` does, and show the stored messages right after.

function storageWith(messages: Array<{ id: string; role: 'user' | 'assistant'; text: string; status?: string }>): StateStorage {
  const state = {
    conversations: { default: { id: 'default', messageIds: messages.map((m) => m.id), createdAt: 1, updatedAt: 1 } },
    messages: Object.fromEntries(
      messages.map((m) => [
        m.id,
        { reasoning: '', toolCalls: [], usage: null, status: 'complete', finishReason: 'stop', createdAt: 1, updatedAt: 1, ...m },
      ]),
    ),
  };
  const items = new Map([['chat', JSON.stringify({ state, version: 0 })]]);
  return { getItem: (name) => items.get(name) ?? null, setItem: (name, value) => void items.set(name, value), removeItem: (name) => void items.delete(name) };
}

const emptyStorage = (): StateStorage => ({ getItem: () => null, setItem: () => {}, removeItem: () => {} });

function Transcript({ store }: { store: MessageStore }) {
  const messages = useConversationMessages(store, 'default');
  const stream = useModelStream({ api: '/api/chat', store });
  return (
    <div>
      <ol>
        {messages.map((m) => (
          <li key={m.id}>
            {m.role}: {m.text}
          </li>
        ))}
      </ol>
      <p data-testid="status">{stream.status}</p>
    </div>
  );
}

function First({ store }: { store: MessageStore }) {
  const message = useMessage(store, 'a1');
  return <p>{message ? message.text : 'none'}</p>;
}

let root: Root | undefined;
afterEach(() => {
  act(() => root?.unmount());
  root = undefined;
  document.body.innerHTML = '';
  vi.restoreAllMocks();
});

/** Server HTML from an empty store, then hydration over a store that read `storage`. */
async function hydrate(view: (store: MessageStore) => React.ReactElement) {
  const serverStore = createMessageStore({ persist: { name: 'chat', storage: emptyStorage() } });
  const html = renderToString(view(serverStore));
  const container = document.createElement('div');
  container.innerHTML = html;
  document.body.append(container);

  const clientStore = createMessageStore({
    persist: {
      name: 'chat',
      storage: storageWith([
        { id: 'u1', role: 'user', text: 'Hello' },
        { id: 'a1', role: 'assistant', text: 'Hi there' },
      ]),
    },
  });
  const errors: unknown[] = [];
  const consoleError = vi.spyOn(console, 'error').mockImplementation((...args) => void errors.push(args));
  await act(async () => {
    root = hydrateRoot(container, view(clientStore), { onRecoverableError: (error) => void errors.push(error) });
  });
  consoleError.mockRestore();
  return { html, container, errors };
}

describe('server rendering and hydration with a persisted store', () => {
  it('hydrates a transcript without a mismatch, then shows the stored messages', async () => {
    const { html, container, errors } = await hydrate((store) => <Transcript store={store} />);
    expect(html).not.toContain('Hello');
    expect(errors).toEqual([]);
    expect(container.textContent).toContain('user: Hello');
    expect(container.textContent).toContain('assistant: Hi there');
    expect(container.querySelector('[data-testid="status"]')!.textContent).toBe('idle');
  });

  it('hydrates useMessage without a mismatch, then shows the stored message', async () => {
    const { html, container, errors } = await hydrate((store) => <First store={store} />);
    expect(html).toContain('none');
    expect(errors).toEqual([]);
    expect(container.textContent).toBe('Hi there');
  });
});
