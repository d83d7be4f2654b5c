import { describe, expect, it } from 'vitest';
import { buildStreamRequest, defaultBody } from '../../src/turns/buildStreamRequest';
import type { RequestBodyContext } from '../../src/turns/types';
import type { Message } from '../../src/store/types';

// The stream request of a turn, in plain Node: what `useModelStream`'s `headers` and `body`
// options become. (Errors thrown here end the turn as an error: test/react/requestBuildErrors.test.tsx.)

const message = (role: 'user' | 'assistant', text: string) => ({ id: text, role, text }) as Message;
const context: RequestBodyContext = { messages: [message('user', 'Hi'), message('assistant', ''), message('assistant', 'Hello')], conversationId: 'c1', streamId: 's1', step: 1 };

describe('buildStreamRequest', () => {
  it('default body: the input, the conversation id and the text history (turns without text left out), as JSON', () => {
    const request = buildStreamRequest({}, 'next', context);
    expect(request.headers.get('content-type')).toBe('application/json');
    expect(JSON.parse(request.body as string)).toEqual({
      input: 'next',
      conversationId: 'c1',
      messages: [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello' },
      ],
    });
    expect(defaultBody('next', { ...context, messages: [] })).toEqual({ input: 'next', conversationId: 'c1', messages: [] });
  });

  it('a custom body builder gets the input and the context (history, conversation, stream id)', () => {
    const seen: unknown[] = [];
    const request = buildStreamRequest(
      {
        body: (input, ctx) => {
          seen.push(input, ctx);
          return { prompt: input, id: ctx.streamId };
        },
      },
      { text: 'x' },
      context,
    );
    expect(seen).toEqual([{ text: 'x' }, context]);
    expect(JSON.parse(request.body as string)).toEqual({ prompt: { text: 'x' }, id: 's1' });
  });

  it('headers: an object, or a function called per request; the app’s content type wins', () => {
    expect(buildStreamRequest({ headers: { 'x-app': '1' } }, 'q', context).headers.get('x-app')).toBe('1');
    let calls = 0;
    const headers = () => ({ 'x-call': String(++calls), 'content-type': 'application/vnd.app+json' });
    expect(buildStreamRequest({ headers }, 'q', context).headers.get('x-call')).toBe('1');
    const second = buildStreamRequest({ headers }, 'q', context);
    expect(second.headers.get('x-call')).toBe('2');
    expect(second.headers.get('content-type')).toBe('application/vnd.app+json');
  });

  it('JSON only for a plain object: a BodyInit (string, FormData, a class instance) and null go as they are, without a JSON content type', () => {
    const form = new FormData();
    form.set('q', 'hi');
    const blob = new Blob(['raw']);
    for (const body of ['raw text', form, blob, new URLSearchParams('q=1'), null]) {
      const request = buildStreamRequest({ body: () => body }, 'q', context);
      expect(request.body).toBe(body);
      expect(request.headers.has('content-type')).toBe(false);
    }
    // An object without Object's prototype is not plain data either.
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 });
    expect(buildStreamRequest({ body: () => bare as never }, 'q', context).body).toBe(bare);
  });

  it('throws what the app code throws (headers function, body builder, a body JSON refuses)', () => {
    expect(() => buildStreamRequest({ headers: () => { throw new Error('no token'); } }, 'q', context)).toThrow('no token');
    expect(() => buildStreamRequest({ body: () => { throw new Error('bad body'); } }, 'q', context)).toThrow('bad body');
    expect(() => buildStreamRequest({ body: () => ({ n: 1n }) }, 'q', context)).toThrow(TypeError);
  });
});
