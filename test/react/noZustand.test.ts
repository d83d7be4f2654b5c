import { describe, expect, it, vi } from 'vitest';

// zustand is an optional peer: an app that streams without the store must be able to load the
// React entry without it. Make every zustand module fail to load, then load the entry.
vi.mock('zustand', () => {
  throw new Error('the React entry must not load zustand');
});
vi.mock('zustand/vanilla', () => {
  throw new Error('the React entry must not load zustand/vanilla');
});
vi.mock('zustand/middleware', () => {
  throw new Error('the React entry must not load zustand/middleware');
});

describe('react-model-stream (main entry) without zustand', () => {
  it('the zustand mock is active (so the next test could fail)', async () => {
    await expect(import('zustand')).rejects.toThrow();
  });

  it('loads, with the store selectors, without zustand installed', async () => {
    const entry = await import('../../src/index');
    expect(typeof entry.useModelStream).toBe('function');
    expect(typeof entry.useMessage).toBe('function');
    expect(typeof entry.useConversationMessages).toBe('function');
    // A forwardRef component (an object), for React 18.
    expect(entry.StopButton).toMatchObject({ $$typeof: Symbol.for('react.forward_ref') });
  });
});
