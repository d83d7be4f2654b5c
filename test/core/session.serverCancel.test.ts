import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { CancelOutcome, CancelRequest } from '../../src/core/createCancelRequest';
import { StreamAbortedError } from '../../src/core/errors';
import { createServerCancel } from '../../src/core/session/createServerCancel';

// The stop's server cancel on its own (src/core/session/createServerCancel.ts): the bound, and when
// the cancel's own signal fires (docs/session.md, "Stop": one more `cancelTimeoutMs` after the bound).

const ids = { streamId: 'stream-1', cancelSecret: 'secret-1' };

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  vi.useRealTimers();
});

/** A cancel that answers only when the test says so, recording its request. */
function heldCancel() {
  const requests: CancelRequest[] = [];
  let answer: (outcome: CancelOutcome) => void = () => {};
  const cancel = (request: CancelRequest) => {
    requests.push(request);
    return new Promise<CancelOutcome>((resolve) => (answer = resolve));
  };
  return { cancel, requests, answer: (outcome: CancelOutcome) => answer(outcome) };
}

describe('createServerCancel', () => {
  test('none without cancel or cancelApi', () => {
    expect(createServerCancel({ api: 'http://127.0.0.1/x' }, fetch)).toBeNull();
  });

  test('calls the cancel with the ids and its own signal', async () => {
    const held = heldCancel();
    const send = createServerCancel({ api: 'http://127.0.0.1/x', cancel: held.cancel }, fetch)!;
    const answer = send(ids, null);
    expect(held.requests).toHaveLength(1);
    expect(held.requests[0]).toMatchObject(ids);
    expect(held.requests[0]!.signal.aborted).toBe(false);
    held.answer({ confirmed: true });
    await expect(answer).resolves.toEqual({ confirmed: true });
  });

  test('at the bound it rejects with a timeout; the signal fires one more cancelTimeoutMs later', async () => {
    const held = heldCancel();
    const send = createServerCancel({ api: 'http://127.0.0.1/x', cancel: held.cancel, cancelTimeoutMs: 100 }, fetch)!;
    const answer = send(ids, null);
    const outcome = answer.then(
      () => 'answered',
      (failure: unknown) => failure,
    );
    await vi.advanceTimersByTimeAsync(100);
    const failure = await outcome;
    expect(failure).toBeInstanceOf(StreamAbortedError);
    expect((failure as StreamAbortedError).reason).toBe('timeout');
    const { signal } = held.requests[0]!;
    expect(signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(99);
    expect(signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe(failure);
  });

  test('a cancel that answers after the bound but before the second one is never aborted', async () => {
    const held = heldCancel();
    const send = createServerCancel({ api: 'http://127.0.0.1/x', cancel: held.cancel, cancelTimeoutMs: 100 }, fetch)!;
    send(ids, null).catch(() => {});
    await vi.advanceTimersByTimeAsync(150);
    held.answer({ confirmed: true });
    await vi.advanceTimersByTimeAsync(1000);
    expect(held.requests[0]!.signal.aborted).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  test('no bound (0): waits as long as the cancel takes, and never aborts it', async () => {
    const held = heldCancel();
    const send = createServerCancel({ api: 'http://127.0.0.1/x', cancel: held.cancel, cancelTimeoutMs: 0 }, fetch)!;
    const answer = send(ids, null);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(held.requests[0]!.signal.aborted).toBe(false);
    held.answer({ confirmed: false, pending: true });
    await expect(answer).resolves.toEqual({ confirmed: false, pending: true });
  });

  test('a cancel that throws synchronously rejects like one that rejects', async () => {
    const failure = new Error('no network');
    const send = createServerCancel(
      {
        api: 'http://127.0.0.1/x',
        cancel: () => {
          throw failure;
        },
      },
      fetch,
    )!;
    await expect(send(ids, null)).rejects.toBe(failure);
  });
});
