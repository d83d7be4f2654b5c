import { describe, expect, it } from 'vitest';
import { repairInterruptedMessages, type Message, type MessageStoreData } from '../../src/store';

function message(overrides: Partial<Message> & Pick<Message, 'id'>): Message {
  return {
    role: 'assistant',
    text: '',
    reasoning: '',
    toolCalls: [],
    usage: null,
    status: 'complete',
    finishReason: null,
    createdAt: 1,
    updatedAt: 2,
    ...overrides,
  };
}

describe('repairInterruptedMessages', () => {
  it('returns the same state when nothing is live', () => {
    const state: MessageStoreData = {
      conversations: {},
      messages: {
        a: message({ id: 'a', status: 'complete', finishReason: 'stop' }),
        b: message({ id: 'b', status: 'incomplete', incomplete: { reason: 'cancelled', serverConfirmed: true } }),
      },
    };
    expect(repairInterruptedMessages(state)).toBe(state);
  });

  it('turns streaming and stopping messages into incomplete / disconnected, keeping what was shown', () => {
    const complete = message({ id: 'done', status: 'complete', text: 'ok' });
    const finishedCall = { id: 'call_1', name: 'search', index: 0, argsText: '{"q":"x"}', args: { q: 'x' }, state: 'complete' as const };
    const state = {
      extra: 'kept',
      conversations: { c: { id: 'c', messageIds: ['s', 't', 'done'], createdAt: 1, updatedAt: 1 } },
      messages: {
        s: message({
          id: 's',
          status: 'streaming',
          text: 'partial answer',
          reasoning: 'thinking',
          usage: { inputTokens: 10, outputTokens: 4 },
          streamId: 'stream-1',
          responseId: 'resp_1',
          toolCalls: [
            finishedCall,
            { id: 'call_2', name: 'fetch', index: 1, argsText: '{"url":"ht', args: { url: 'ht' }, state: 'streaming' },
          ],
        }),
        t: message({ id: 't', status: 'stopping', text: 'stopped here' }),
        done: complete,
      },
    };
    const repaired = repairInterruptedMessages(state);
    expect(repaired).not.toBe(state);
    expect(repaired.extra).toBe('kept');
    expect(repaired.conversations).toBe(state.conversations);
    expect(repaired.messages.done).toBe(complete);
    expect(repaired.messages.s).toEqual({
      ...state.messages.s,
      status: 'incomplete',
      incomplete: { reason: 'disconnected' },
      toolCalls: [finishedCall, { ...state.messages.s.toolCalls[1], state: 'incomplete' }],
    });
    expect(repaired.messages.s.toolCalls[0]).toBe(finishedCall);
    expect(repaired.messages.t).toMatchObject({ status: 'incomplete', incomplete: { reason: 'disconnected' }, text: 'stopped here' });
    // the input is untouched
    expect(state.messages.s.status).toBe('streaming');
    expect(state.messages.s.toolCalls[1]?.state).toBe('streaming');
  });

  it('is idempotent', () => {
    const state: MessageStoreData = { conversations: {}, messages: { a: message({ id: 'a', status: 'streaming' }) } };
    const once = repairInterruptedMessages(state);
    expect(repairInterruptedMessages(once)).toBe(once);
  });
});
