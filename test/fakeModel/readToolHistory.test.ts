import { describe, expect, it } from 'vitest';
import { readToolHistory } from '../../src/server/fakeModel/readToolHistory';
import { createToolLoopScript } from '../../src/server/fakeModel/createToolLoopScript';
import { createMessageStore, getConversationMessages, toModelMessages, type ModelMessageFormat } from '../../src/store/index';

// The history a tool run sends, written by the real `toModelMessages` from a real store: an earlier
// finished run, then this run's user turn, step 1 with two calls and their results.
function history(format: ModelMessageFormat, steps: number) {
  const store = createMessageStore();
  const s = store.getState();
  const conversation = s.createConversation().id;
  const add = (role: 'user' | 'assistant', text: string, calls: { id: string; name: string; result?: unknown; denied?: string }[] = []) => {
    const toolCalls = calls.map((call, index) => ({ id: call.id, name: call.name, index, argsText: '{}', args: {}, state: 'complete' as const }));
    const id = s.appendMessage(conversation, { role, text, status: 'complete', toolCalls }).id;
    for (const call of calls) s.setToolExecution(id, call.id, call.denied === undefined ? { state: 'done', result: call.result } : { state: 'denied', reason: call.denied });
  };
  add('user', 'earlier question');
  add('assistant', 'an earlier run', [{ id: 'old', name: 'get_weather', result: 'rain' }]);
  add('assistant', 'its answer');
  add('user', 'weather and tidy up');
  if (steps >= 2) add('assistant', 'step 1', [{ id: 'w', name: 'get_weather', result: { celsius: 21 } }, { id: 'd', name: 'delete_file', denied: 'keep it' }]);
  if (steps >= 3) add('assistant', 'step 2', [{ id: 'w2', name: 'get_weather', result: 'again' }]);
  const messages = toModelMessages(getConversationMessages(store.getState(), conversation), { format });
  return format === 'openai-responses' ? { input: messages } : { messages };
}

describe('readToolHistory', () => {
  for (const format of ['openai-chat', 'openai-responses', 'anthropic'] as const) {
    it(`${format}: the step and this run's results, not an earlier run's`, () => {
      expect(readToolHistory(history(format, 1))).toEqual({ step: 1, results: [] });
      const step2 = readToolHistory(history(format, 2));
      expect(step2.step).toBe(2);
      expect(step2.results).toEqual([
        { callId: 'w', name: 'get_weather', output: '{"celsius":21}', isError: false },
        { callId: 'd', name: 'delete_file', output: expect.stringMatching(/denied.*Reason: keep it/s), isError: format === 'anthropic' },
      ]);
      const step3 = readToolHistory(history(format, 3));
      expect(step3.step).toBe(3);
      expect(step3.results.map((r) => r.callId)).toEqual(['w', 'd', 'w2']);
    });
  }

  it('a body without a history is step 1', () => {
    expect(readToolHistory(null)).toEqual({ step: 1, results: [] });
    expect(readToolHistory({ input: 'text' })).toEqual({ step: 1, results: [] });
  });
});

describe('createToolLoopScript', () => {
  it('answers step n with steps[n - 1] (a function gets the history), the last one past the end', () => {
    const answer = createToolLoopScript([{ text: 'one' }, ({ step, results }) => ({ text: `step ${step}: ${results.length} results` })]);
    expect(answer(history('anthropic', 1))).toEqual({ text: 'one' });
    expect(answer(history('anthropic', 2))).toEqual({ text: 'step 2: 2 results' });
    expect(answer(history('anthropic', 3))).toEqual({ text: 'step 3: 3 results' });
    expect(() => createToolLoopScript([])).toThrow(TypeError);
  });
});
