import { describe, expectTypeOf, it } from 'vitest';
import type { StreamSessionSnapshot } from 'react-model-stream/core';
import {
  createMessageStore,
  messagePatchFromSession,
  toModelMessages,
  type AnthropicContentBlock,
  type AnthropicMessage,
  type Message,
  type MessagePatch,
  type MessageStatus,
  type MessageStore,
  type MessageStoreOptions,
  type MessageStoreState,
  type NewMessage,
  type OpenAIChatMessage,
  type OpenAIResponsesInputItem,
  type OpenAIResponsesReasoningSummary,
  type SessionSnapshotLike,
  type ToModelMessagesOptions,
  type ToolCall,
  type ToolExecution,
} from 'react-model-stream/store';
import { toModelMessages as rootToModelMessages } from 'react-model-stream';

// `react-model-stream/store`.

describe('createMessageStore', () => {
  it('takes optional options and returns a MessageStore (a zustand vanilla store plus persistence)', () => {
    expectTypeOf(createMessageStore).parameters.toEqualTypeOf<[options?: MessageStoreOptions]>();
    expectTypeOf(createMessageStore).returns.toEqualTypeOf<MessageStore>();
    const store = createMessageStore({ persist: { name: 'chat' } });
    expectTypeOf(store.getState()).toEqualTypeOf<MessageStoreState>();
    expectTypeOf(store.subscribe).parameter(0).parameters.toEqualTypeOf<[state: MessageStoreState, previousState: MessageStoreState]>();
    expectTypeOf(store.flushPersisted).toEqualTypeOf<() => void>();
    expectTypeOf(store.persist?.rehydrate).toEqualTypeOf<(() => Promise<void>) | undefined>();
    // @ts-expect-error persist takes options or a boolean
    createMessageStore({ persist: 'localStorage' });
  });

  it('actions live on the state: appendMessage takes a NewMessage (role required), updateMessage a patch', () => {
    const state = createMessageStore().getState();
    expectTypeOf(state.appendMessage).toEqualTypeOf<(conversationId: string, message: NewMessage) => Message>();
    expectTypeOf(state.appendMessage('c1', { role: 'user', text: 'Hi' })).toEqualTypeOf<Message>();
    // @ts-expect-error role is required
    state.appendMessage('c1', { text: 'Hi' });
    expectTypeOf(state.updateMessage).parameter(1).toEqualTypeOf<MessagePatch | ((message: Message) => MessagePatch)>();
    expectTypeOf(state.updateMessage('m1', { text: 'x' })).toEqualTypeOf<Message | undefined>();
    // @ts-expect-error id never changes
    state.updateMessage('m1', { id: 'other' });
  });
});

describe('ToolExecution', () => {
  it('is a union discriminated by state, optional on a ToolCall', () => {
    expectTypeOf<ToolCall['execution']>().toEqualTypeOf<ToolExecution | undefined>();
    expectTypeOf<ToolExecution['state']>().toEqualTypeOf<'awaiting-approval' | 'running' | 'done' | 'error' | 'denied' | 'cancelled'>();
    expectTypeOf<Extract<ToolExecution, { state: 'done' }>['result']>().toEqualTypeOf<unknown>();
    expectTypeOf<Extract<ToolExecution, { state: 'error' }>['error']>().toEqualTypeOf<string>();
    expectTypeOf<Extract<ToolExecution, { state: 'denied' }>['reason']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<Extract<ToolExecution, { state: 'cancelled' }>['reason']>().toEqualTypeOf<'stopped' | 'disconnected'>();
    const execution = {} as ToolExecution;
    if (execution.state === 'done') expectTypeOf(execution.result).toBeUnknown();
    // @ts-expect-error an error needs its message
    const noMessage: ToolExecution = { state: 'error' };
    // @ts-expect-error not a cancel reason
    const badReason: ToolExecution = { state: 'cancelled', reason: 'timeout' };
    // @ts-expect-error not a state
    const badState: ToolExecution = { state: 'finished' };
    void [noMessage, badReason, badState];
  });

  it('setToolExecution(messageId, toolCallId, execution | undefined) returns the message', () => {
    const state = createMessageStore().getState();
    expectTypeOf(state.setToolExecution).toEqualTypeOf<(messageId: string, toolCallId: string, execution: ToolExecution | undefined) => Message | undefined>();
    state.setToolExecution('m1', 'call_1', { state: 'done', result: { ok: true } });
    state.setToolExecution('m1', 'call_1', undefined);
    // @ts-expect-error the execution is required (undefined to remove it)
    state.setToolExecution('m1', 'call_1');
  });
});

describe('Message', () => {
  it('has a role, a status union and an optional incomplete with a reason', () => {
    expectTypeOf<Message['role']>().toEqualTypeOf<'user' | 'assistant'>();
    expectTypeOf<Message['status']>().toEqualTypeOf<MessageStatus>();
    expectTypeOf<MessageStatus>().toEqualTypeOf<'streaming' | 'stopping' | 'complete' | 'incomplete'>();
    expectTypeOf<NonNullable<Message['incomplete']>['reason']>().toEqualTypeOf<'cancelled' | 'disconnected' | 'error' | 'length' | 'content-filter'>();
    expectTypeOf<Message['text']>().toEqualTypeOf<string>();
    expectTypeOf<Message['streamId']>().toEqualTypeOf<string | undefined>();
  });

  it("a session's snapshot fits the store's structural SessionSnapshotLike (the store imports no core value)", () => {
    expectTypeOf<StreamSessionSnapshot>().toExtend<SessionSnapshotLike>();
    expectTypeOf(messagePatchFromSession).returns.toEqualTypeOf<MessagePatch>();
  });
});

describe('toModelMessages', () => {
  const messages: Message[] = [];

  it('returns the provider format asked for: OpenAI Chat (default), OpenAI Responses, Anthropic', () => {
    expectTypeOf(toModelMessages(messages)).toEqualTypeOf<OpenAIChatMessage[]>();
    expectTypeOf(toModelMessages(messages, { format: 'openai-chat' })).toEqualTypeOf<OpenAIChatMessage[]>();
    expectTypeOf(toModelMessages(messages, { format: 'openai-responses' })).toEqualTypeOf<OpenAIResponsesInputItem[]>();
    expectTypeOf(toModelMessages(messages, { format: 'anthropic' })).toEqualTypeOf<AnthropicMessage[]>();
  });

  it('a format only known at run time gives the union', () => {
    const format = 'anthropic' as 'openai-chat' | 'anthropic';
    expectTypeOf(toModelMessages(messages, { format })).toEqualTypeOf<OpenAIChatMessage[] | OpenAIResponsesInputItem[] | AnthropicMessage[]>();
  });

  it('takes readonly messages, rejects an unknown format, and is the same function from the root entry', () => {
    expectTypeOf(toModelMessages).parameter(0).toEqualTypeOf<readonly Message[]>();
    // @ts-expect-error not a format
    toModelMessages(messages, { format: 'gemini' });
    expectTypeOf(rootToModelMessages).toEqualTypeOf(toModelMessages);
  });

  it('the Anthropic shape: role and content blocks', () => {
    expectTypeOf<AnthropicMessage['role']>().toEqualTypeOf<'user' | 'assistant'>();
  });

  it('reasoning goes back in the shapes the providers take: signed thinking, redacted thinking, reasoning items; Chat has a refusal', () => {
    expectTypeOf<Extract<AnthropicContentBlock, { type: 'thinking' }>>().toEqualTypeOf<{ type: 'thinking'; thinking: string; signature: string }>();
    expectTypeOf<Extract<AnthropicContentBlock, { type: 'redacted_thinking' }>>().toEqualTypeOf<{ type: 'redacted_thinking'; data: string }>();
    expectTypeOf<Extract<OpenAIResponsesInputItem, { type: 'reasoning' }>>().toEqualTypeOf<{
      type: 'reasoning';
      id: string;
      summary: OpenAIResponsesReasoningSummary[];
      encrypted_content?: string;
    }>();
    expectTypeOf<Extract<OpenAIChatMessage, { role: 'assistant' }>['refusal']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<ToModelMessagesOptions['reasoning']>().toEqualTypeOf<boolean | undefined>();
    // @ts-expect-error `reasoning` is a boolean.
    toModelMessages([], { reasoning: 'none' });
  });
});
