import { describe, expect, it } from 'vitest';
import { createAccumulator } from '../../src/core/accumulator';
import { createMessageStore, messagePatchFromSession, type SessionSnapshotLike } from '../../src/store';

function accumulatorWithToolCall() {
  const acc = createAccumulator({ partialArgs: true });
  acc.apply({ type: 'id', id: 'chatcmpl-1' });
  acc.apply({ type: 'text-delta', delta: 'Checking the weather' });
  acc.apply({ type: 'tool-call-start', id: 'call_1', name: 'get_weather' });
  acc.apply({ type: 'tool-call-delta', id: 'call_1', delta: '{"city":"Ly' });
  acc.apply({ type: 'usage', usage: { inputTokens: 12, outputTokens: 5 } });
  return acc;
}

// The session snapshot as `createStreamSession` will produce it (extra fields such as `protocol` are ignored).
function snapshot(status: string, acc: ReturnType<typeof createAccumulator>, extra: Partial<SessionSnapshotLike> = {}) {
  return {
    status,
    message: acc.message(),
    incomplete: null,
    error: null,
    streamId: 'stream-1',
    responseId: null,
    protocol: 'openai-chat' as const,
    ...extra,
  };
}

describe('messagePatchFromSession', () => {
  it.each([
    ['idle', 'streaming'],
    ['connecting', 'streaming'],
    ['streaming', 'streaming'],
    ['stopping', 'stopping'],
    ['complete', 'complete'],
  ] as const)('maps session status %s to message status %s', (sessionStatus, messageStatus) => {
    const patch = messagePatchFromSession(snapshot(sessionStatus, createAccumulator()));
    expect(patch.status).toBe(messageStatus);
    expect(patch).toHaveProperty('incomplete', undefined);
  });

  it('copies text, reasoning, tool calls, usage, finish reason and ids from the session', () => {
    const acc = accumulatorWithToolCall();
    acc.apply({ type: 'reasoning-delta', delta: 'user wants weather' });
    const patch = messagePatchFromSession(snapshot('streaming', acc));
    expect(patch).toEqual({
      status: 'streaming',
      text: 'Checking the weather',
      reasoning: 'user wants weather',
      toolCalls: [{ id: 'call_1', name: 'get_weather', index: 0, argsText: '{"city":"Ly', args: { city: 'Ly' }, state: 'streaming' }],
      usage: { inputTokens: 12, outputTokens: 5 },
      finishReason: null,
      incomplete: undefined,
      streamId: 'stream-1',
      // from the message id, as the snapshot's responseId is still null
      responseId: 'chatcmpl-1',
    });
  });

  it("prefers the snapshot's responseId and leaves ids out when there are none", () => {
    const acc = createAccumulator();
    expect(messagePatchFromSession(snapshot('streaming', acc, { responseId: 'resp_9' })).responseId).toBe('resp_9');
    const bare = messagePatchFromSession(snapshot('idle', acc, { streamId: '' }));
    expect(bare).not.toHaveProperty('responseId');
    expect(bare).not.toHaveProperty('streamId');
  });

  it('keeps the tool-call array identity of the session', () => {
    const acc = accumulatorWithToolCall();
    const message = acc.message();
    const patch = messagePatchFromSession(snapshot('streaming', acc));
    expect(patch.toolCalls).toBe(message.toolCalls);
  });

  it('maps a cancelled stop with its server confirmation', () => {
    const acc = accumulatorWithToolCall();
    acc.freeze(acc.message());
    acc.markUnfinished();
    const patch = messagePatchFromSession(snapshot('incomplete', acc, { incomplete: { reason: 'cancelled', serverConfirmed: true } }));
    expect(patch.status).toBe('incomplete');
    expect(patch.incomplete).toEqual({ reason: 'cancelled', serverConfirmed: true });
    expect(patch.toolCalls?.[0]?.state).toBe('incomplete');
  });

  it('keeps the error text of a cancel whose request failed', () => {
    const patch = messagePatchFromSession(
      snapshot('incomplete', createAccumulator(), { incomplete: { reason: 'cancelled', serverConfirmed: false, error: 'cancel timed out' } }),
    );
    expect(patch.incomplete).toEqual({ reason: 'cancelled', serverConfirmed: false, error: 'cancel timed out' });
  });

  it("fills an error's text from the snapshot's error when the incomplete object has none", () => {
    const patch = messagePatchFromSession(
      snapshot('incomplete', createAccumulator(), { incomplete: { reason: 'error' }, error: new Error('HTTP 500') }),
    );
    expect(patch.incomplete).toEqual({ reason: 'error', error: 'HTTP 500' });
  });

  it('maps a reason it does not know to error, keeping it readable', () => {
    const patch = messagePatchFromSession(snapshot('incomplete', createAccumulator(), { incomplete: { reason: 'timeout' } }));
    expect(patch.incomplete).toEqual({ reason: 'error', error: 'timeout' });
  });

  it('never leaves a message spinning for a status it does not know when the session says why it ended', () => {
    const patch = messagePatchFromSession(snapshot('errored', createAccumulator(), { incomplete: { reason: 'length' } }));
    expect(patch.status).toBe('incomplete');
    expect(patch.incomplete).toEqual({ reason: 'length' });
  });

  it('drives a store message through applySessionSnapshot; an unchanged snapshot is a no-op', () => {
    const store = createMessageStore({ now: () => 1 });
    store.getState().appendMessage('c', { id: 'a', role: 'assistant', status: 'streaming' });
    const acc = accumulatorWithToolCall();
    store.getState().applySessionSnapshot('a', snapshot('streaming', acc));
    const first = store.getState();
    expect(first.messages.a).toMatchObject({ text: 'Checking the weather', status: 'streaming', responseId: 'chatcmpl-1', streamId: 'stream-1' });
    // the same session snapshot again: nothing changed, nothing replaced
    store.getState().applySessionSnapshot('a', snapshot('streaming', acc));
    expect(store.getState()).toBe(first);
    // stop, then the final cancelled state
    store.getState().applySessionSnapshot('a', snapshot('stopping', acc));
    expect(store.getState().messages.a?.status).toBe('stopping');
    expect(store.getState().messages.a?.toolCalls).toBe(first.messages.a?.toolCalls);
    acc.freeze(acc.message());
    acc.apply({ type: 'usage', usage: { inputTokens: 12, outputTokens: 7, estimated: true } });
    acc.markUnfinished();
    store.getState().applySessionSnapshot('a', snapshot('incomplete', acc, { incomplete: { reason: 'cancelled', serverConfirmed: true } }));
    expect(store.getState().messages.a).toMatchObject({
      status: 'incomplete',
      incomplete: { reason: 'cancelled', serverConfirmed: true },
      usage: { inputTokens: 12, outputTokens: 7, estimated: true },
      toolCalls: [{ id: 'call_1', state: 'incomplete', argsText: '{"city":"Ly' }],
    });
  });
});

describe('messagePatchFromSession: refusal, annotations, stop sequence, reasoning parts', () => {
  it('copies them onto the message when the stream carried them, and keeps them off otherwise', () => {
    const store = createMessageStore();
    const message = store.getState().appendMessage('c', { role: 'assistant', status: 'streaming' });
    const acc = createAccumulator();
    acc.apply({ type: 'reasoning-delta', delta: 'Think.' });
    acc.apply({ type: 'reasoning-part', part: { type: 'thinking', text: 'Think.', signature: 'sig' } });
    acc.apply({ type: 'refusal-delta', delta: 'No.' });
    acc.apply({ type: 'annotation', annotation: { type: 'char_location', cited_text: 'x' } });
    acc.apply({ type: 'finish', finishReason: 'stop', rawFinishReason: 'stop_sequence', stopSequence: 'END' });
    const updated = store.getState().applySessionSnapshot(message.id, snapshot('complete', acc))!;
    expect(updated).toMatchObject({
      reasoning: 'Think.',
      refusal: 'No.',
      stopSequence: 'END',
      annotations: [{ type: 'char_location', cited_text: 'x' }],
      reasoningParts: [{ type: 'thinking', text: 'Think.', signature: 'sig', textOffset: 0, toolCallsBefore: 0 }],
    });
    // The same snapshot again changes nothing (the arrays keep their identity).
    expect(store.getState().applySessionSnapshot(message.id, snapshot('complete', acc))).toBe(updated);
    const plain = store.getState().appendMessage('c', { role: 'assistant', status: 'streaming' });
    const after = store.getState().applySessionSnapshot(plain.id, snapshot('complete', accumulatorWithToolCall()))!;
    for (const key of ['refusal', 'annotations', 'stopSequence', 'reasoningParts']) expect(Object.hasOwn(after, key)).toBe(false);
  });
});
