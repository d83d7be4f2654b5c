// @vitest-environment jsdom
import { cleanup, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { setupServer } from 'msw/node';
import { createMockModelServer } from 'react-model-stream/testing';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { Chat } from './Chat';

// The model: a scripted answer in OpenAI's wire format that stalls after three tokens
// ("Lyon is two"), as if the model were thinking, until the user stops it.
const model = createMockModelServer({
  protocol: 'openai-chat',
  script: { text: 'Lyon is two hours from Geneva by train.', inputTokens: 12 },
  faults: { stall: { afterTokens: 3 } },
});
const server = setupServer(...model.handlers);

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  cleanup();
  model.reset();
});
afterAll(() => server.close());

async function ask(question: string) {
  const user = userEvent.setup();
  render(<Chat />);
  await user.type(screen.getByRole('textbox', { name: 'Message' }), question);
  await user.click(screen.getByRole('button', { name: 'Send' }));
  return user;
}

it('streams the answer, and Stop stops the model on the server', async () => {
  const user = await ask('How far is Lyon?');
  await waitFor(() => expect(screen.getByTestId('answer').textContent).toBe('Lyon is two'));

  await user.click(screen.getByRole('button', { name: 'Stop generating' }));

  expect((await screen.findByRole('status')).textContent).toBe('Stopped · server confirmed');
  expect(screen.getByTestId('answer').textContent).toBe('Lyon is two'); // what was shown is kept
  // The server's side: the question arrived, the cancel was confirmed, the model stopped at once.
  expect(model.requests[0]?.body).toMatchObject({ input: 'How far is Lyon?' });
  expect(model.cancels[0]?.answer).toMatchObject({ status: 'cancelled' });
  expect(model.requests[0]?.run).toMatchObject({ finished: false, tokensAfterAbort: 0 });
});

it('marks the answer "disconnected" when the connection drops mid-stream', async () => {
  model.update({ faults: { drop: { afterTokens: 3 } } });
  await ask('How far is Lyon?');

  expect((await screen.findByRole('status')).textContent).toBe('disconnected');
  expect(screen.getByTestId('answer').textContent).toBe('Lyon is two');
  expect(model.cancels).toEqual([]); // a drop is not a stop: no cancel was sent
});
