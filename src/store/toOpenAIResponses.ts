import type { Turn } from './Turn';
import { turnPieces } from './turnPieces';

/*
 * The OpenAI Responses API shape of a history: flat `input` items in stream order — a turn's
 * `reasoning` items before the message or `function_call` items that followed them (the API
 * rejects a reasoning item without its following item), each `function_call` matched by its
 * `function_call_output` once the turn's items are out. Of two reasoning items in a row only the
 * second goes: the first one's following item is not in the store.
 */

/** A summary part of an OpenAI Responses `reasoning` item. */
export type OpenAIResponsesReasoningSummary = { type: 'summary_text'; text: string };

/** An OpenAI Responses API `input` item. */
export type OpenAIResponsesInputItem =
  | { type: 'message'; role: 'user' | 'assistant'; content: string }
  | { type: 'reasoning'; id: string; summary: OpenAIResponsesReasoningSummary[]; encrypted_content?: string }
  | { type: 'function_call'; call_id: string; name: string; arguments: string }
  | { type: 'function_call_output'; call_id: string; output: string };

/** The turns as Responses API `input` items. */
export function toOpenAIResponses(turns: readonly Turn[]): OpenAIResponsesInputItem[] {
  const out: OpenAIResponsesInputItem[] = [];
  for (const turn of turns) {
    for (const piece of turnPieces(turn)) {
      if (piece.type === 'text') out.push({ type: 'message', role: turn.role, content: piece.text });
      else if (piece.type === 'call') out.push({ type: 'function_call', call_id: piece.call.id, name: piece.call.name, arguments: piece.call.arguments });
      else if (piece.part.type === 'openai-reasoning') {
        const summary = piece.part.summary.map((summaryText): OpenAIResponsesReasoningSummary => ({ type: 'summary_text', text: summaryText }));
        // Two in a row: the first one's following item was one the store does not keep (a built-in
        // tool's call, e.g. web search). Sent without it, the API rejects the request.
        if (out.at(-1)?.type === 'reasoning') out.pop();
        // The id either way; `encrypted_content` is what lets a `store: false` request use it.
        out.push(
          piece.part.encryptedContent === undefined
            ? { type: 'reasoning', id: piece.part.id, summary }
            : { type: 'reasoning', id: piece.part.id, summary, encrypted_content: piece.part.encryptedContent },
        );
      }
    }
    for (const call of turn.calls) out.push({ type: 'function_call_output', call_id: call.id, output: call.result });
  }
  return out;
}
