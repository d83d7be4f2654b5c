import type { Turn } from './Turn';

/* The OpenAI Responses API shape of a history: flat `input` items, each `function_call` matched by its `function_call_output`. */

/** An OpenAI Responses API `input` item. */
export type OpenAIResponsesInputItem =
  | { type: 'message'; role: 'user' | 'assistant'; content: string }
  | { type: 'function_call'; call_id: string; name: string; arguments: string }
  | { type: 'function_call_output'; call_id: string; output: string };

/** The turns as Responses API `input` items. */
export function toOpenAIResponses(turns: readonly Turn[]): OpenAIResponsesInputItem[] {
  const out: OpenAIResponsesInputItem[] = [];
  for (const turn of turns) {
    if (turn.text) out.push({ type: 'message', role: turn.role, content: turn.text });
    for (const call of turn.calls) out.push({ type: 'function_call', call_id: call.id, name: call.name, arguments: call.arguments });
    for (const call of turn.calls) out.push({ type: 'function_call_output', call_id: call.id, output: call.result });
  }
  return out;
}
