import type { Message, ToolCall } from './types';

function repairToolCalls(toolCalls: ToolCall[]): ToolCall[] {
  if (!Array.isArray(toolCalls)) return [];
  if (!toolCalls.some((call) => call.state === 'streaming')) return toolCalls;
  return toolCalls.map((call) => (call.state === 'streaming' ? { ...call, state: 'incomplete' } : call));
}

/** The repair of one message: live (`streaming` / `stopping`) → `incomplete` / `disconnected`; other messages are returned as is. */
export function repairInterruptedMessage(message: Message): Message {
  if (message.status !== 'streaming' && message.status !== 'stopping') return message;
  return {
    ...message,
    status: 'incomplete',
    incomplete: { reason: 'disconnected' },
    toolCalls: repairToolCalls(message.toolCalls),
  };
}

/**
 * Repairs what a reload (or a crash, or a closed tab) left behind: every message still `streaming`
 * or `stopping` — nothing can be streaming into it any more — becomes `status: 'incomplete'`,
 * `incomplete: { reason: 'disconnected' }`, its unfinished tool calls `state: 'incomplete'`. Text,
 * reasoning, finished tool calls, usage, ids and timestamps are kept. A `stopping` message also
 * becomes `disconnected`: the server never confirmed that stop.
 *
 * Pure. Returns the same state object when there is nothing to repair; otherwise a new state with
 * a new `messages` record in which only the repaired messages are new objects.
 *
 * @example
 * ```ts
 * const restored = repairInterruptedMessages(JSON.parse(localStorage.getItem('chat')!).state);
 * ```
 */
export function repairInterruptedMessages<S extends { messages: Record<string, Message> }>(state: S): S {
  let changed = false;
  const entries = Object.entries(state.messages).map(([id, message]): [string, Message] => {
    const repaired = repairInterruptedMessage(message);
    if (repaired !== message) changed = true;
    return [id, repaired];
  });
  // `fromEntries` defines own properties, so even an id like `__proto__` stays a plain key.
  return changed ? { ...state, messages: Object.fromEntries(entries) } : state;
}
