import type { Turn } from './Turn';

/*
 * The Anthropic Messages shape of a history: content blocks, `tool_use` answered by `tool_result`
 * blocks at the start of the next user message, and same-role neighbours merged (the API wants
 * the roles to alternate).
 */

/** A content block of an Anthropic Messages request message. */
export type AnthropicContentBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> }
  | { type: 'tool_result'; tool_use_id: string; content: string; is_error?: boolean };

/** An Anthropic Messages request message. */
export type AnthropicMessage = { role: 'user' | 'assistant'; content: AnthropicContentBlock[] };

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
    const content: AnthropicContentBlock[] = [];
    const text = turn.text.trimEnd();
    if (text) content.push({ type: 'text', text });
    for (const call of turn.calls) content.push({ type: 'tool_use', id: call.id, name: call.name, input: call.input });
    push('assistant', content);
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
