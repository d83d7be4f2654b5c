import type { ComponentProps, ComponentPropsWithRef, ReactNode } from 'react';
import { describe, expectTypeOf, it } from 'vitest';
import {
  ModelStreamProvider,
  StopButton,
  stopButtonState,
  useConversationMessages,
  useMessage,
  useModelStream,
  type RequestBodyContext,
  type StopButtonProps,
  type StopButtonState,
  type StoppableStream,
  type StopResult,
  type StreamEndReason,
  type StreamStatus,
  type ModelStreamStatus,
  type Tool,
  type Tools,
  type ToolContext,
  type UseModelStreamOptions,
  type UseModelStreamResult,
} from 'react-model-stream';
import type { Message, MessageStore } from 'react-model-stream/store';

// The React entry as an app imports it (`react-model-stream`, resolved to src/ by tsconfig `paths`).

describe('useModelStream', () => {
  it('takes a string by default: start(input: string), a result typed for string input', () => {
    expectTypeOf<Parameters<typeof useModelStream<string>>[0]>().toEqualTypeOf<UseModelStreamOptions<string>>();
    expectTypeOf<UseModelStreamOptions>().toEqualTypeOf<UseModelStreamOptions<string>>();
    const chat = useModelStream({ api: '/api/chat' });
    expectTypeOf(chat).toEqualTypeOf<UseModelStreamResult<string>>();
    expectTypeOf(chat.start).toEqualTypeOf<(input: string) => Promise<Message>>();
  });

  it('infers Input from the body builder, and start() then takes that input', () => {
    type Input = { prompt: string; temperature: number };
    const chat = useModelStream({
      api: '/api/chat',
      body: (input: Input, context) => {
        expectTypeOf(context).toEqualTypeOf<RequestBodyContext>();
        return { ...input, messages: context.messages.length };
      },
    });
    expectTypeOf(chat).toEqualTypeOf<UseModelStreamResult<Input>>();
    expectTypeOf(chat.start).parameter(0).toEqualTypeOf<Input>();
    // @ts-expect-error a string is not the declared input
    void chat.start('Hi');
  });

  it('takes an explicit Input type argument', () => {
    const chat = useModelStream<{ question: string }>({ api: new URL('https://example.com/chat'), body: (input) => ({ q: input.question }) });
    expectTypeOf(chat.start).parameter(0).toEqualTypeOf<{ question: string }>();
  });

  it('options: the body builder returns a BodyInit, a JSON object or null; callbacks get the message and its end', () => {
    expectTypeOf<ReturnType<NonNullable<UseModelStreamOptions['body']>>>().toEqualTypeOf<BodyInit | Record<string, unknown> | null>();
    expectTypeOf<UseModelStreamOptions['api']>().toEqualTypeOf<string | URL>();
    expectTypeOf<UseModelStreamOptions['throttle']>().toEqualTypeOf<'frame' | number | false | undefined>();
    expectTypeOf<UseModelStreamOptions['store']>().toEqualTypeOf<MessageStore | undefined>();
    expectTypeOf<NonNullable<UseModelStreamOptions['onFinish']>>().parameter(0).toEqualTypeOf<{ message: Message; reason: StreamEndReason }>();
    expectTypeOf<NonNullable<UseModelStreamOptions['onError']>>().parameter(0).toEqualTypeOf<Error>();
    expectTypeOf<StreamEndReason>().toEqualTypeOf<'complete' | 'cancelled' | 'disconnected' | 'error' | 'length' | 'content-filter'>();
    // @ts-expect-error `api` is required
    useModelStream({});
  });

  it('result: status, partial text, the message, and a stop that resolves a StopResult', () => {
    expectTypeOf<UseModelStreamResult['status']>().toEqualTypeOf<ModelStreamStatus>();
    expectTypeOf<ModelStreamStatus>().toEqualTypeOf<StreamStatus | 'tools'>();
    expectTypeOf<UseModelStreamResult['text']>().toEqualTypeOf<string>();
    expectTypeOf<UseModelStreamResult['message']>().toEqualTypeOf<Message | null>();
    expectTypeOf<UseModelStreamResult['error']>().toEqualTypeOf<Error | null>();
    expectTypeOf<UseModelStreamResult['streamId']>().toEqualTypeOf<string | null>();
    expectTypeOf<UseModelStreamResult['stop']>().returns.toEqualTypeOf<Promise<StopResult>>();
    // The hook's result is what StopButton and ModelStreamProvider take.
    expectTypeOf<UseModelStreamResult<{ prompt: string }>>().toExtend<StoppableStream>();
  });
});

describe('tool runs', () => {
  it('tools: a function or { execute, needsApproval }, given the args and { signal, toolCallId }', () => {
    const store = {} as MessageStore;
    const chat = useModelStream({
      api: '/api/chat',
      store,
      maxSteps: 3,
      tools: {
        weather: async (args: { city: string }, { signal, toolCallId }) => {
          expectTypeOf(signal).toEqualTypeOf<AbortSignal>();
          expectTypeOf(toolCallId).toEqualTypeOf<string>();
          return { city: args.city, celsius: 21 };
        },
        remove: { execute: () => 'ok', needsApproval: true },
        pay: { execute: (args: { amount: number }) => args.amount, needsApproval: async (args: { amount: number }) => args.amount > 10 },
      },
      body: (input, context) => {
        expectTypeOf(context.step).toEqualTypeOf<number>();
        return { input };
      },
    });
    expectTypeOf<UseModelStreamOptions['tools']>().toEqualTypeOf<Tools | undefined>();
    expectTypeOf<UseModelStreamOptions['maxSteps']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<ToolContext>().toEqualTypeOf<{ signal: AbortSignal; toolCallId: string }>();
    expectTypeOf<Tools[string]>().toEqualTypeOf<Tool>();
    expectTypeOf(chat.addToolResult).toEqualTypeOf<(toolCallId: string, result: unknown) => void>();
    expectTypeOf(chat.addToolError).toEqualTypeOf<(toolCallId: string, error: unknown) => void>();
    expectTypeOf(chat.approveToolCall).toEqualTypeOf<(toolCallId: string) => void>();
    expectTypeOf(chat.denyToolCall).toEqualTypeOf<(toolCallId: string, reason?: string) => void>();
    // @ts-expect-error needsApproval is a boolean or a predicate
    useModelStream({ api: '/x', store, tools: { t: { execute: () => 1, needsApproval: 'yes' } } });
  });
});

describe('StopButton', () => {
  it('props: every button attribute, plus stream and asChild', () => {
    expectTypeOf<StopButtonProps>().toExtend<ComponentProps<'button'>>();
    expectTypeOf<StopButtonProps['stream']>().toEqualTypeOf<StoppableStream | null | undefined>();
    expectTypeOf<StopButtonProps['asChild']>().toEqualTypeOf<boolean | undefined>();
    expectTypeOf<ComponentProps<typeof StopButton>>().toEqualTypeOf<StopButtonProps & React.RefAttributes<HTMLButtonElement>>();
  });

  it('forwards a ref to the button element', () => {
    expectTypeOf<ComponentPropsWithRef<typeof StopButton>['ref']>().toEqualTypeOf<React.Ref<HTMLButtonElement> | undefined>();
  });

  it('state: idle, streaming or stopping, from a stream status', () => {
    expectTypeOf<StopButtonState>().toEqualTypeOf<'idle' | 'streaming' | 'stopping'>();
    expectTypeOf(stopButtonState).parameter(0).toEqualTypeOf<ModelStreamStatus | undefined>();
    expectTypeOf(stopButtonState).returns.toEqualTypeOf<StopButtonState>();
  });

  it('ModelStreamProvider takes a stream and children', () => {
    expectTypeOf<ComponentProps<typeof ModelStreamProvider>['stream']>().toEqualTypeOf<StoppableStream | null | undefined>();
    expectTypeOf<ComponentProps<typeof ModelStreamProvider>['children']>().toEqualTypeOf<ReactNode>();
  });
});

describe('useMessage / useConversationMessages', () => {
  it('read one message (or undefined) and a conversation (readonly, oldest first) from a store', () => {
    expectTypeOf(useMessage).parameters.toEqualTypeOf<[store: MessageStore, messageId: string]>();
    expectTypeOf(useMessage).returns.toEqualTypeOf<Message | undefined>();
    expectTypeOf(useConversationMessages).returns.toEqualTypeOf<readonly Message[]>();
  });
});
