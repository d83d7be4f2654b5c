import type { TurnReasoning } from './Turn';
import type { Message } from './types';

/**
 * The reasoning blocks of a message that can be sent back, placed among the sent content.
 *
 * - A `thinking` block without a signature is left out: Anthropic verifies every thinking block
 *   it is sent against its signature, so an unsigned one (a block that ended before its
 *   `signature_delta`) fails the request; its text stays in the store's `reasoning`.
 * - A Responses reasoning item without an id cannot be referenced, and is left out.
 * - A block with nothing the model produced after it in what is sent (no text — a refusal sent
 *   as text counts — and no sent tool call: a step stopped right after thinking, or whose calls were dropped for lack of a
 *   result) is left out: the Responses API rejects a reasoning item without its following item
 *   ("was provided without its required following item"), and an Anthropic assistant message of
 *   thinking alone is no answer (the API strips earlier turns' thinking, which would leave it empty).
 *
 * `modelText`: the text sent for the model's answer (without the stopped note). `provider`: whose
 * blocks to send (Anthropic thinking and redacted thinking, or OpenAI Responses reasoning items).
 * `sentCallPositions` are the message-level indexes (in `message.toolCalls`) of the calls sent, in order.
 */
export function turnReasoning(message: Message, modelText: string, sentCallPositions: readonly number[], provider: 'anthropic' | 'openai'): TurnReasoning[] {
  const parts = message.reasoningParts ?? [];
  const placed: TurnReasoning[] = [];
  for (const part of parts) {
    // Only the provider's own kind: another's (a conversation that changed provider) cannot be sent.
    if ((part.type === 'openai-reasoning') !== (provider === 'openai')) continue;
    if (part.type === 'thinking' && !part.signature) continue;
    if (part.type === 'openai-reasoning' && !part.id) continue;
    const textOffset = Math.min(Math.max(0, part.textOffset), modelText.length);
    const callsBefore = sentCallPositions.filter((position) => position < part.toolCallsBefore).length;
    const followed = modelText.slice(textOffset).trim() !== '' || callsBefore < sentCallPositions.length;
    if (!followed) continue;
    const { textOffset: _offset, toolCallsBefore: _calls, ...block } = part;
    placed.push({ ...block, textOffset, callsBefore });
  }
  return placed;
}
