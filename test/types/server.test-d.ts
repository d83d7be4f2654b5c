import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expectTypeOf, it } from 'vitest';
import {
  createStreamRegistry,
  handleCancel,
  handleModelStream,
  toNodeHandler,
  type CancelCorsOptions,
  type CancelListener,
  type CancelReport,
  type CancelUpstreamInfo,
  type StreamFinishInfo,
  type StreamFinishReason,
  type CancelRateLimitOptions,
  type CancelResult,
  type DisconnectPolicy,
  type HandleCancelOptions,
  type HandleModelStreamOptions,
  type InMemoryStreamRegistry,
  type RateLimiter,
  type RegisterResult,
  type StreamRegistry,
  type StreamRegistryOptions,
} from 'react-model-stream/server';
import type { Protocol } from 'react-model-stream/core';

// `react-model-stream/server`: Web-standard Request → Response helpers.

describe('createStreamRegistry', () => {
  it('options are all optional numbers; the in-memory registry is a StreamRegistry with counts()', () => {
    expectTypeOf(createStreamRegistry).parameters.toEqualTypeOf<[options?: StreamRegistryOptions]>();
    expectTypeOf(createStreamRegistry).returns.toEqualTypeOf<InMemoryStreamRegistry>();
    expectTypeOf<InMemoryStreamRegistry>().toExtend<StreamRegistry>();
    expectTypeOf<StreamRegistryOptions['finishedTtlMs']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<StreamRegistryOptions['tombstoneTtlMs']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<StreamRegistryOptions['maxTombstones']>().toEqualTypeOf<number | undefined>();
    expectTypeOf(createStreamRegistry().counts()).toEqualTypeOf<{ streams: number; finished: number; tombstones: number }>();
    // @ts-expect-error not an option
    createStreamRegistry({ ttl: 5 });
  });

  it('the registry contract: register, cancel (a closed union of answers), size, close', () => {
    expectTypeOf<StreamRegistry['register']>().returns.toEqualTypeOf<Promise<RegisterResult>>();
    expectTypeOf<StreamRegistry['cancel']>().returns.toEqualTypeOf<Promise<CancelResult>>();
    expectTypeOf<CancelResult['status']>().toEqualTypeOf<'cancelled' | 'already-finished' | 'not-found' | 'forbidden' | 'unavailable' | 'full'>();
    expectTypeOf<StreamRegistry['close']>().toEqualTypeOf<() => Promise<void>>();
  });
});

describe('handleModelStream', () => {
  it('(request, { registry, upstream(signal), protocol?, onDisconnect? }) → Promise<Response>', () => {
    expectTypeOf(handleModelStream).parameters.toEqualTypeOf<[request: Request, options: HandleModelStreamOptions]>();
    expectTypeOf(handleModelStream).returns.toEqualTypeOf<Promise<Response>>();
    expectTypeOf<HandleModelStreamOptions['registry']>().toEqualTypeOf<StreamRegistry>();
    expectTypeOf<HandleModelStreamOptions['upstream']>().toEqualTypeOf<(signal: AbortSignal) => Response | Promise<Response>>();
    expectTypeOf<HandleModelStreamOptions['protocol']>().toEqualTypeOf<Protocol | 'auto' | undefined>();
    expectTypeOf<HandleModelStreamOptions['onDisconnect']>().toEqualTypeOf<DisconnectPolicy | undefined>();
    expectTypeOf<DisconnectPolicy>().toEqualTypeOf<'abort' | 'continue'>();
    const registry = createStreamRegistry();
    // @ts-expect-error upstream is required
    void handleModelStream(new Request('http://localhost/'), { registry });
  });
});

describe('handleModelStream: onFinish and cancelUpstream', () => {
  it('onFinish(info) once per stream; cancelUpstream({ streamId, responseId }) with a bound; a listener may answer a promise', () => {
    expectTypeOf<HandleModelStreamOptions['onFinish']>().toEqualTypeOf<((info: StreamFinishInfo) => void | Promise<void>) | undefined>();
    expectTypeOf<StreamFinishReason>().toEqualTypeOf<'complete' | 'cancelled' | 'disconnected' | 'error' | 'length' | 'content-filter'>();
    expectTypeOf<StreamFinishInfo['usage']>().toEqualTypeOf<{ inputTokens: number | null; outputTokens: number | null } | null>();
    expectTypeOf<StreamFinishInfo['responseId']>().toEqualTypeOf<string | null>();
    expectTypeOf<StreamFinishInfo['message']['text']>().toEqualTypeOf<string>();
    expectTypeOf<HandleModelStreamOptions['cancelUpstream']>().toEqualTypeOf<((info: CancelUpstreamInfo) => void | Promise<void>) | undefined>();
    expectTypeOf<CancelUpstreamInfo>().toEqualTypeOf<{ streamId: string; responseId: string | null }>();
    expectTypeOf<HandleModelStreamOptions['cancelUpstreamTimeoutMs']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<CancelReport['upstreamCancelled']>().toEqualTypeOf<boolean | undefined>();
    expectTypeOf<ReturnType<CancelListener>>().toEqualTypeOf<CancelReport | null | Promise<CancelReport | null>>();
  });
});

describe('handleCancel', () => {
  it('(request, { registry, authorize?, rateLimit?, bodyTimeoutMs?, cors? }) → Promise<Response>', () => {
    expectTypeOf(handleCancel).parameters.toEqualTypeOf<[request: Request, options: HandleCancelOptions]>();
    expectTypeOf(handleCancel).returns.toEqualTypeOf<Promise<Response>>();
    expectTypeOf<HandleCancelOptions['authorize']>().toEqualTypeOf<((request: Request, streamId: string) => boolean | Promise<boolean>) | undefined>();
    expectTypeOf<HandleCancelOptions['rateLimit']>().toEqualTypeOf<false | CancelRateLimitOptions | RateLimiter | undefined>();
    expectTypeOf<HandleCancelOptions['bodyTimeoutMs']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<HandleCancelOptions['cors']>().toEqualTypeOf<CancelCorsOptions | undefined>();
    expectTypeOf<CancelCorsOptions['origin']>().toEqualTypeOf<string | readonly string[] | ((origin: string) => boolean)>();
    // @ts-expect-error rateLimit: true is not an option (it is on by default)
    void handleCancel(new Request('http://localhost/'), { registry: createStreamRegistry(), rateLimit: true });
  });

  it('toNodeHandler adapts either one to node:http', () => {
    const registry = createStreamRegistry();
    const handler = toNodeHandler((request) => handleCancel(request, { registry }));
    expectTypeOf(handler).toEqualTypeOf<(req: IncomingMessage, res: ServerResponse) => void>();
  });
});
