import { toModelMessages } from 'react-model-stream';
import { createFakeModel, createStreamRegistry } from 'react-model-stream/server';
import type { Message } from 'react-model-stream/store';

// One registry per server process: the stream route registers each stream, the cancel route finds it.
export const registry = createStreamRegistry();

// No key? A deterministic fake model (20 tokens/s) that stops the moment its signal is aborted.
export const fakeModel = createFakeModel({ protocol: 'openai-chat', tokensPerSecond: 20 });

/** Starts the model's answer; aborting `signal` stops the provider generating (and billing). */
export function callModel(input: string, history: Message[], signal: AbortSignal): Response | Promise<Response> {
  const anthropic = !process.env.OPENAI_API_KEY && Boolean(process.env.ANTHROPIC_API_KEY);
  // The stored turns as the provider wants them: cut tool calls closed, stopped answers noted.
  const messages = [
    ...toModelMessages(history, { format: anthropic ? 'anthropic' : 'openai-chat', incomplete: { toolCalls: 'close', note: true } }),
    { role: 'user' as const, content: input },
  ];
  if (process.env.OPENAI_API_KEY) {
    return fetch('https://api.openai.com/v1/chat/completions', {
      method: 'POST',
      signal,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${process.env.OPENAI_API_KEY}` },
      body: JSON.stringify({ model: 'gpt-4.1-mini', stream: true, stream_options: { include_usage: true }, messages }),
    });
  }
  if (anthropic) {
    return fetch('https://api.anthropic.com/v1/messages', {
      method: 'POST',
      signal,
      headers: { 'content-type': 'application/json', 'x-api-key': process.env.ANTHROPIC_API_KEY!, 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 1024, stream: true, messages }),
    });
  }
  return fakeModel.stream(signal);
}
