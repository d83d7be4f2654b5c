import type { Turn } from './Turn';
import { turnPieces } from './turnPieces';

/*
 * The Anthropic Messages shape of a history: content blocks in stream order (thinking and
 * redacted thinking where they came, then text and `tool_use`), `tool_use` answered by
 * `tool_result` blocks at the start of the next user message, and same-role neighbours merged (the
 * API wants the roles to alternate). Thinking blocks go back unmodified with their signature: the
 * API checks them, and requires them with the `tool_use` blocks of a tool loop under extended thinking.
 */

/** A content block of an Anthropic Messages request message. */
export type AnthropicContentBlock =
  | { type: 'text'; text: string }
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'redacted_thinking'; data: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> }
  | { type: 'tool_result'; tool_use_id: string; content: string; is_error?: boolean };

/** An Anthropic Messages request message. */
export type AnthropicMessage = { role: 'user' | 'assistant'; content: AnthropicContentBlock[] };

/** An assistant turn's blocks in stream order; text without trailing whitespace. */
function assistantBlocks(turn: Turn): AnthropicContentBlock[] {
  const blocks: AnthropicContentBlock[] = [];
  for (const piece of turnPieces(turn)) {
    // A final assistant turn is a prefill, which may not end in whitespace.
    if (piece.type === 'text') blocks.push({ type: 'text', text: piece.text.trimEnd() });
    else if (piece.type === 'call') blocks.push({ type: 'tool_use', id: piece.call.id, name: piece.call.name, input: piece.call.input });
    else if (piece.part.type === 'thinking' && piece.part.signature) {
      blocks.push({ type: 'thinking', thinking: piece.part.text, signature: piece.part.signature });
    } else if (piece.part.type === 'redacted') blocks.push({ type: 'redacted_thinking', data: piece.part.data });
  }
  return blocks;
}

/** The turns as Anthropic Messages request messages. */
export function toAnthropic(turns: readonly Turn[]): AnthropicMessage[] {
  const out: AnthropicMessage[] = [];
  const push = (role: AnthropicMessage['role'], content: AnthropicContentBlock[]) => {
    const last = out.at(-1);
    if (last && last.role === role) last.content.push(...content);
    else out.push({ role, content });
  };
  for (const turn of turns) {
    if (turn.role === 'user') {
      push('user', [{ type: 'text', text: turn.text }]);
      continue;
    }
    push('assistant', assistantBlocks(turn));
    if (turn.calls.length > 0) {
      push(
        'user',
        turn.calls.map((call): AnthropicContentBlock =>
          call.isError ? { type: 'tool_result', tool_use_id: call.id, content: call.result, is_error: true } : { type: 'tool_result', tool_use_id: call.id, content: call.result },
        ),
      );
    }
  }
  return out;
}
