import type { Message, MessagePatch, ToolCall } from './types';

/**
 * A session's patch with the tool executions `message` holds, matched by tool-call id: a session
 * never has any, and a result must outlive every later snapshot (a call the session no longer has
 * goes with its execution). The stored array when that is what it comes to, so that a re-sent
 * snapshot changes nothing.
 */
export function keepExecutions(patch: MessagePatch, { toolCalls: stored }: Message): MessagePatch {
  const calls = patch.toolCalls;
  if (!calls || !stored.some((call) => call.execution)) return patch;
  const merged = calls.map((call): ToolCall => {
    const execution = stored.find((other) => other.id === call.id)?.execution;
    return execution && !call.execution ? { ...call, execution } : call;
  });
  // Tool calls are JSON values (they are persisted); a stored execution makes this the rare case.
  return { ...patch, toolCalls: JSON.stringify(merged) === JSON.stringify(stored) ? stored : merged };
}
