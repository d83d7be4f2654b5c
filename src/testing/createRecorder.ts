import type { FakeModelRun } from '../server/fakeModel/createFakeModel';
import { createMilestones } from './createMilestones';

/**
 * A stream request the server received. Its fields fill in as the stream runs.
 *
 * @example
 * ```ts
 * expect(model.requests[0]).toMatchObject({ body: { input: 'Hi' }, status: 200, run: { tokensAfterAbort: 0 } });
 * ```
 */
export type MockStreamRequest = {
  /** 0 for the first stream request, 1 for the next… */
  readonly index: number;
  readonly url: string;
  readonly headers: Headers;
  /** The request body: parsed JSON, else the text, else `null`. */
  readonly body: unknown;
  /** The client's `x-stream-id`. */
  readonly streamId: string | null;
  /** The HTTP status answered, once answered (`null` for a network error). */
  status: number | null;
  /**
   * The model's side of it, once the model was called: tokens generated, `abortedAt`,
   * `tokensAfterAbort` (0 when the model stopped at the cancel), `finished`. `null` when the model
   * was never called (an HTTP error, a cancel that came first).
   */
  run: FakeModelRun | null;
};

/**
 * A cancel request the server received.
 *
 * @example
 * ```ts
 * expect(model.cancels).toEqual([expect.objectContaining({ status: 200, answer: expect.objectContaining({ status: 'cancelled' }) })]);
 * ```
 */
export type MockCancelRequest = {
  readonly index: number;
  /** The `streamId` of the body, when it had one. */
  readonly streamId: string | null;
  /** The HTTP status answered, once answered (`null` while hanging or for a network error). */
  status: number | null;
  /** The JSON answered (`{ status: 'cancelled', usage, usageEstimated }`, …), once answered. */
  answer: unknown;
};

/**
 * What the server has seen: every stream and cancel request, in order, and per index the promise of
 * its start (streams) or its answer (cancels), resolved by the server or first asked for by a test.
 */
export function createRecorder() {
  let requests: MockStreamRequest[] = [];
  let cancels: MockCancelRequest[] = [];
  let streamCount = 0;
  let cancelCount = 0;
  let starts = createMilestones<MockStreamRequest>();
  let answers = createMilestones<MockCancelRequest>();

  return {
    get requests(): readonly MockStreamRequest[] {
      return requests;
    },
    get cancels(): readonly MockCancelRequest[] {
      return cancels;
    },
    /** Numbers a stream request as it arrives (before its body is read). */
    nextStreamIndex: () => streamCount++,
    /** Records a stream request, its body read. */
    addStream(index: number, request: Request, body: unknown): MockStreamRequest {
      const record: MockStreamRequest = {
        index,
        url: request.url,
        headers: new Headers(request.headers),
        body,
        streamId: request.headers.get('x-stream-id'),
        status: null,
        run: null,
      };
      requests.push(record);
      return record;
    },
    /** Records a cancel request, its body read, numbering it. */
    addCancel(streamId: string | null): MockCancelRequest {
      const record: MockCancelRequest = { index: cancelCount++, streamId, status: null, answer: undefined };
      cancels.push(record);
      return record;
    },
    /** Resolves the start of a stream request (answered, its model started). */
    started: (record: MockStreamRequest) => starts.of(record.index).resolve(record),
    /** Resolves the answer of a cancel request (answered, or failed). */
    answered: (record: MockCancelRequest) => answers.of(record.index).resolve(record),
    streamStarted: (index?: number) => starts.next(index),
    cancelAnswered: (index?: number) => answers.next(index),
    reset() {
      requests = [];
      cancels = [];
      streamCount = 0;
      cancelCount = 0;
      starts = createMilestones();
      answers = createMilestones();
    },
  };
}

/** The recording of a mock model server; see {@link createRecorder}. */
export type Recorder = ReturnType<typeof createRecorder>;
