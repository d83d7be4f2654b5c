import type { Message, ToolCall } from './types';

/** `live`: the message was streaming, so its unfinished calls were cut. An execution left running or awaiting approval (in any message) is over too: nothing runs it any more. */
function repairToolCalls(toolCalls: ToolCall[], live: boolean): ToolCall[] {
  if (!Array.isArray(toolCalls)) return [];
  const repaired = toolCalls.map((call): ToolCall => {
    const cut = live && call.state === 'streaming';
    const stuck = call.execution?.state === 'running' || call.execution?.state === 'awaiting-approval';
    return cut || stuck ? { ...call, ...(cut && { state: 'incomplete' }), ...(stuck && { execution: { state: 'cancelled', reason: 'disconnected' } }) } : call;
  });
  return repaired.some((call, i) => call !== toolCalls[i]) ? repaired : toolCalls;
}

/**
 * The repair of one message: live (`streaming` / `stopping`) → `incomplete` / `disconnected`; a tool
 * execution `running` or `awaiting-approval` → `cancelled` / `disconnected` (in any message); other
 * messages are returned as is.
 */
export function repairInterruptedMessage(message: Message): Message {
  const live = message.status === 'streaming' || message.status === 'stopping';
  const toolCalls = repairToolCalls(message.toolCalls, live);
  if (live) return { ...message, status: 'incomplete', incomplete: { reason: 'disconnected' }, toolCalls };
  return toolCalls === message.toolCalls ? message : { ...message, toolCalls };
}

/**
 * Repairs what a reload (or a crash, or a closed tab) left behind: every message still `streaming`
 * or `stopping` — nothing can be streaming into it any more — becomes `status: 'incomplete'`,
 * `incomplete: { reason: 'disconnected' }`, its unfinished tool calls `state: 'incomplete'`; a tool
 * call's `execution` still `running` or `awaiting-approval` (in any message) becomes
 * `{ state: 'cancelled', reason: 'disconnected' }` — no page runs or asks for it any more. Text,
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
