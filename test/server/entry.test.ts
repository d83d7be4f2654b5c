import { describe, expect, it, vi } from 'vitest';

// The in-memory entry must run where `redis` is not installed: importing it must never load redis.
vi.mock('redis', () => {
  throw new Error('react-model-stream/server must not import redis');
});

describe('react-model-stream/server entry', () => {
  it('exports the pinned API without loading redis', async () => {
    const server = await import('../../src/server/index');
    expect(typeof server.createStreamRegistry).toBe('function');
    expect(typeof server.handleModelStream).toBe('function');
    expect(typeof server.handleCancel).toBe('function');
    expect(typeof server.toNodeHandler).toBe('function');
    expect(server.STREAM_ID_HEADER).toBe('x-stream-id');
    expect(server.CANCEL_SECRET_HEADER).toBe('x-stream-cancel-secret');
  });
});
