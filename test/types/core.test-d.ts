import { describe, expectTypeOf, it } from 'vitest';
import {
  collectStream,
  createCancelRequest,
  createStreamSession,
  PartialJsonError,
  StreamAbortedError,
  StreamCancelError,
  StreamHttpError,
  StreamModelError,
  StreamProtocolError,
  type AccumulatedMessage,
  type CancelFunction,
  type CancelOutcome,
  type IncompleteInfo,
  type IncompleteReason,
  type Protocol,
  type StopResult,
  type StreamAbortReason,
  type StreamProtocolErrorType,
  type StreamSession,
  type StreamSessionOptions,
  type StreamSessionSnapshot,
  type StreamSnapshot,
  type StreamStatus,
} from 'react-model-stream/core';
import * as root from 'react-model-stream';
import * as core from 'react-model-stream/core';

// The framework-agnostic entry, `react-model-stream/core` (also re-exported by the root entry).

describe('createStreamSession', () => {
  it('takes StreamSessionOptions (api required) and returns a StreamSession', () => {
    expectTypeOf(createStreamSession).parameter(0).toEqualTypeOf<StreamSessionOptions>();
    expectTypeOf(createStreamSession).returns.toEqualTypeOf<StreamSession>();
    expectTypeOf<StreamSessionOptions['api']>().toEqualTypeOf<string | URL>();
    expectTypeOf<StreamSessionOptions['protocol']>().toEqualTypeOf<Protocol | 'auto' | undefined>();
    expectTypeOf<StreamSessionOptions['cancel']>().toEqualTypeOf<CancelFunction | undefined>();
    // @ts-expect-error `api` is required
    createStreamSession({ cancelApi: '/cancel' });
  });

  it('a session starts (resolving its final snapshot), stops (resolving a StopResult) and disconnects', () => {
    expectTypeOf<StreamSession['start']>().toEqualTypeOf<() => Promise<StreamSessionSnapshot>>();
    expectTypeOf<StreamSession['stop']>().toEqualTypeOf<() => Promise<StopResult>>();
    expectTypeOf<StreamSession['disconnect']>().toEqualTypeOf<() => void>();
    expectTypeOf<StreamSession['getSnapshot']>().returns.toEqualTypeOf<StreamSessionSnapshot>();
    expectTypeOf<StreamSession['streamId']>().toEqualTypeOf<string>();
    expectTypeOf<StopResult>().toEqualTypeOf<{ serverConfirmed: boolean; error?: string }>();
  });
});

describe('StreamSessionSnapshot', () => {
  it('status is the closed union of the seven states', () => {
    expectTypeOf<StreamSessionSnapshot['status']>().toEqualTypeOf<StreamStatus>();
    expectTypeOf<StreamStatus>().toEqualTypeOf<'idle' | 'connecting' | 'streaming' | 'reconnecting' | 'stopping' | 'complete' | 'incomplete'>();
  });

  it('incomplete says why (a closed union), error is an Error or null, the message is the accumulated one', () => {
    expectTypeOf<StreamSessionSnapshot['incomplete']>().toEqualTypeOf<IncompleteInfo | null>();
    expectTypeOf<IncompleteInfo['reason']>().toEqualTypeOf<IncompleteReason>();
    expectTypeOf<IncompleteReason>().toEqualTypeOf<'cancelled' | 'disconnected' | 'error' | 'length' | 'content-filter'>();
    expectTypeOf<StreamSessionSnapshot['error']>().toEqualTypeOf<Error | null>();
    expectTypeOf<StreamSessionSnapshot['message']>().toEqualTypeOf<AccumulatedMessage>();
    expectTypeOf<StreamSessionSnapshot['protocol']>().toEqualTypeOf<Protocol | null>();
  });

  it('is read-only', () => {
    const snapshot = {} as StreamSessionSnapshot;
    // @ts-expect-error a snapshot is immutable
    snapshot.status = 'complete';
  });
});

describe('cancel', () => {
  it('createCancelRequest(url, fetch | options) is a CancelFunction resolving a CancelOutcome', () => {
    expectTypeOf(createCancelRequest('/api/chat/cancel')).toEqualTypeOf<CancelFunction>();
    expectTypeOf(createCancelRequest(new URL('https://example.com/cancel'), fetch)).toEqualTypeOf<CancelFunction>();
    expectTypeOf<CancelFunction>().returns.toEqualTypeOf<Promise<CancelOutcome>>();
    expectTypeOf<CancelOutcome['confirmed']>().toEqualTypeOf<boolean>();
  });
});

describe('errors', () => {
  it('each is an Error with a literal name and a typed discriminant', () => {
    expectTypeOf<StreamHttpError>().toExtend<Error>();
    expectTypeOf<StreamHttpError['name']>().toEqualTypeOf<'StreamHttpError'>();
    expectTypeOf<StreamHttpError['type']>().toEqualTypeOf<'http'>();
    expectTypeOf<StreamHttpError['status']>().toEqualTypeOf<number>();
    expectTypeOf<StreamHttpError['body']>().toEqualTypeOf<string>();

    expectTypeOf<StreamProtocolError['type']>().toEqualTypeOf<StreamProtocolErrorType>();
    expectTypeOf<StreamProtocolError['line']>().toEqualTypeOf<string>();
    expectTypeOf<StreamAbortedError['reason']>().toEqualTypeOf<StreamAbortReason>();
    expectTypeOf<StreamAbortReason>().toEqualTypeOf<'cancelled' | 'disconnected' | 'timeout'>();
    expectTypeOf<StreamCancelError['type']>().toEqualTypeOf<'unknown-stream'>();
    expectTypeOf<StreamModelError['type']>().toEqualTypeOf<'model'>();
    expectTypeOf<PartialJsonError['type']>().toEqualTypeOf<'invalid-json'>();
    expectTypeOf<PartialJsonError['offset']>().toEqualTypeOf<number>();
  });

  it('narrow with instanceof', () => {
    const error = new Error('x') as Error | null;
    if (error instanceof StreamHttpError) expectTypeOf(error.status).toEqualTypeOf<number>();
    if (error instanceof StreamAbortedError) expectTypeOf(error.reason).toEqualTypeOf<StreamAbortReason>();
  });
});

describe('collectStream and the entries', () => {
  it('collectStream resolves a StreamSnapshot', () => {
    expectTypeOf(collectStream).returns.toEqualTypeOf<Promise<StreamSnapshot>>();
  });

  it('the root entry re-exports the core', () => {
    expectTypeOf(root.createStreamSession).toEqualTypeOf(core.createStreamSession);
    expectTypeOf(root.StreamHttpError).toEqualTypeOf(core.StreamHttpError);
    expectTypeOf(root.collectStream).toEqualTypeOf(core.collectStream);
  });
});
