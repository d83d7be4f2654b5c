import type { Turn } from './Turn';

/*
 * The OpenAI Chat Completions shape of a history: an answer's tool calls ride on the assistant
 * message, each answered by a `role: 'tool'` message. A refusal goes back in the assistant
 * message's own `refusal` field. Reasoning never goes: the Chat API has no request field for it.
 */

/** A tool call of an OpenAI Chat Completions assistant message. */
export type OpenAIChatToolCall = { id: string; type: 'function'; function: { name: string; arguments: string } };

/** An OpenAI Chat Completions request message. */
export type OpenAIChatMessage =
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: OpenAIChatToolCall[]; refusal?: string }
  | { role: 'tool'; tool_call_id: string; content: string };

/** The turns as Chat Completions request messages. */
export function toOpenAIChat(turns: readonly Turn[]): OpenAIChatMessage[] {
  const out: OpenAIChatMessage[] = [];
  for (const turn of turns) {
    if (turn.role === 'user') {
      out.push({ role: 'user', content: turn.text });
      continue;
    }
    const refusal = turn.refusal ? { refusal: turn.refusal } : {};
    if (turn.calls.length === 0) {
      out.push({ role: 'assistant', content: turn.refusal && !turn.text ? null : turn.text, ...refusal });
      continue;
    }
    out.push({
      role: 'assistant',
      content: turn.text || null,
      tool_calls: turn.calls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } })),
      ...refusal,
    });
    for (const call of turn.calls) out.push({ role: 'tool', tool_call_id: call.id, content: call.result });
  }
  return out;
}
