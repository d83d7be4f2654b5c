import type { HttpHandler } from 'msw';
import { describe, expectTypeOf, it } from 'vitest';
import type { InMemoryStreamRegistry } from 'react-model-stream/server';
import {
  createMockModelServer,
  createToolLoopScript,
  readToolHistory,
  TOOL_LOOP_FAKE_STEPS,
  type FakeModelScript,
  type ToolHistory,
  type ToolHistoryResult,
  type ToolLoopStep,
  type MockCancelFault,
  type MockCancelRequest,
  type MockModelFaults,
  type MockModelServer,
  type MockModelServerOptions,
  type MockStreamRequest,
  type Protocol,
} from 'react-model-stream/testing';

// `react-model-stream/testing`: the mock model server.

describe('createMockModelServer', () => {
  it('takes optional options and returns a MockModelServer: MSW handlers, a fetch, the endpoints and what it saw', () => {
    expectTypeOf(createMockModelServer).parameters.toEqualTypeOf<[options?: MockModelServerOptions]>();
    expectTypeOf(createMockModelServer).returns.toEqualTypeOf<MockModelServer>();
    expectTypeOf<MockModelServer['handlers']>().toEqualTypeOf<HttpHandler[]>();
    expectTypeOf<MockModelServer['fetch']>().toEqualTypeOf<typeof fetch>();
    expectTypeOf<MockModelServer['api']>().toEqualTypeOf<string>();
    expectTypeOf<MockModelServer['cancelApi']>().toEqualTypeOf<string>();
    expectTypeOf<MockModelServer['requests']>().toEqualTypeOf<readonly MockStreamRequest[]>();
    expectTypeOf<MockModelServer['cancels']>().toEqualTypeOf<readonly MockCancelRequest[]>();
    expectTypeOf<MockModelServer['registry']>().toEqualTypeOf<InMemoryStreamRegistry>();
    expectTypeOf<MockModelServer['streamStarted']>().toEqualTypeOf<(index?: number) => Promise<MockStreamRequest>>();
    expectTypeOf<MockModelServer['cancelAnswered']>().toEqualTypeOf<(index?: number) => Promise<MockCancelRequest>>();
  });

  it('options: a script (or a function of the request), a protocol, a pace and faults', () => {
    expectTypeOf<MockModelServerOptions['script']>().toEqualTypeOf<FakeModelScript | ((request: { body: unknown; index: number }) => FakeModelScript) | undefined>();
    expectTypeOf<MockModelServerOptions['protocol']>().toEqualTypeOf<Protocol | undefined>();
    expectTypeOf<MockModelServerOptions['pace']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<MockModelServerOptions['faults']>().toEqualTypeOf<MockModelFaults | undefined>();
    expectTypeOf<MockModelFaults['cancel']>().toEqualTypeOf<MockCancelFault | undefined>();
    expectTypeOf<'hang' | 'network-error'>().toExtend<MockCancelFault>();
    createMockModelServer({ script: { text: 'Hello', toolCalls: [{ name: 'search', args: { q: 'x' } }] }, protocol: 'anthropic', faults: { drop: { afterTokens: 2 } } });
    // @ts-expect-error not a protocol
    createMockModelServer({ protocol: 'gemini' });
    // @ts-expect-error the endpoints are fixed at creation: update() changes the rest
    createMockModelServer().update({ api: '/other' });
  });
});

describe('tool-run scripts', () => {
  it('readToolHistory reads any body; createToolLoopScript answers a body with a script, usable as a mock script', () => {
    expectTypeOf(readToolHistory).toEqualTypeOf<(body: unknown) => ToolHistory>();
    expectTypeOf<ToolHistory>().toEqualTypeOf<{ step: number; results: ToolHistoryResult[] }>();
    expectTypeOf<ToolHistoryResult>().toEqualTypeOf<{ callId: string; name: string | undefined; output: string; isError: boolean }>();
    expectTypeOf<ToolLoopStep>().toEqualTypeOf<FakeModelScript | ((history: ToolHistory) => FakeModelScript)>();
    expectTypeOf(TOOL_LOOP_FAKE_STEPS).toEqualTypeOf<readonly ToolLoopStep[]>();
    const answer = createToolLoopScript(TOOL_LOOP_FAKE_STEPS);
    expectTypeOf(answer).toEqualTypeOf<(body: unknown) => FakeModelScript>();
    createMockModelServer({ script: ({ body }) => answer(body) });
    // @ts-expect-error a step is a script or a function of the history
    createToolLoopScript(['text']);
  });
});
