// @vitest-environment jsdom
import { act, cleanup, render } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { useModelStream, type UseModelStreamOptions, type UseModelStreamResult } from '../../src/index';
import { createMessageStore } from '../../src/store/index';
import { startHttpServer, type TestServer } from '../helpers/httpServer';
import { failOnConsole } from './setup';

// `start()` never rejects (its TSDoc). The app's own code runs inside it: the headers function,
// the body builder, and the serialization of what the builder returns. When that code throws, the
// turn must still end in a defined state (incomplete, reason `error`, the error kept), never as a
// synchronous throw out of an onClick handler, with `onError` and `onFinish` told, and no request.

failOnConsole();
let server: TestServer | null = null;
afterEach(async () => {
  cleanup();
  await server?.close();
  server = null;
});

async function startWith(options: Partial<UseModelStreamOptions>) {
  server = await startHttpServer(({ res }) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('should not be asked');
  });
  const store = createMessageStore();
  const onError = vi.fn();
  const onFinish = vi.fn();
  let result!: UseModelStreamResult;
  const api = `${server.url}/chat`;
  function Chat() {
    result = useModelStream({ api, cancelApi: `${server!.url}/cancel`, store, throttle: false, onError, onFinish, ...options });
    return <p>{result.status}</p>;
  }
  render(<Chat />);
  let started: Promise<unknown> | undefined;
  let thrown: unknown;
  await act(async () => {
    try {
      started = result.start('Hi');
    } catch (error) {
      thrown = error;
    }
    await started;
  });
  return { store, result, onError, onFinish, thrown, final: await started };
}

describe('start() when the request cannot be built', () => {
  const cases: Array<[string, Partial<UseModelStreamOptions>, RegExp]> = [
    [
      'the headers function throws',
      {
        headers: () => {
          throw new Error('no session token');
        },
      },
      /no session token/,
    ],
    [
      'the body builder throws',
      {
        body: () => {
          throw new TypeError('cannot build the prompt');
        },
      },
      /cannot build the prompt/,
    ],
    ['the built body cannot be serialized', { body: () => ({ count: 1n }) }, /BigInt/],
    ['a header value is not a valid HTTP header', { headers: { authorization: 'Bearer \u2603' } }, /./],
  ];

  it.each(cases)('%s: the turn ends incomplete with the error; no request, no throw', async (_name, options, message) => {
    const { store, result, onError, onFinish, thrown, final } = await startWith(options);
    expect(thrown).toBeUndefined();
    expect(final).toMatchObject({ role: 'assistant', status: 'incomplete', incomplete: { reason: 'error' } });
    expect((final as { incomplete: { error: string } }).incomplete.error).toMatch(message);
    expect(result.status).toBe('incomplete');
    expect(result.error?.message).toMatch(message);
    expect(onError).toHaveBeenCalledTimes(1);
    expect(onFinish).toHaveBeenCalledTimes(1);
    expect(onFinish.mock.calls[0]![0]).toMatchObject({ reason: 'error' });
    // The user's turn and the marked answer are both kept.
    expect(Object.values(store.getState().messages).map((m) => [m.role, m.status])).toEqual([
      ['user', 'complete'],
      ['assistant', 'incomplete'],
    ]);
    expect(server!.requests).toHaveLength(0);
  });

  it('the next start works once the app code is fixed', async () => {
    let broken = true;
    const { result } = await startWith({
      headers: () => {
        if (broken) throw new Error('not yet');
        return { 'x-app': '1' };
      },
    });
    broken = false;
    let final: Awaited<ReturnType<UseModelStreamResult['start']>> | undefined;
    await act(async () => {
      final = await result.start('Again');
    });
    expect(final?.text).toBe('should not be asked');
    expect(server!.requests.map((r) => r.headers['x-app'])).toEqual(['1']);
  });
});
