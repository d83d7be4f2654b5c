import type { ToolCall } from './types';

/**
 * A session's tool calls with the executions the stored ones hold (matched by id: a session never
 * has any, and a result must outlive every later snapshot; a call the session no longer has goes
 * with its execution). The stored array when that is what it comes to, so that a re-sent snapshot
 * changes nothing.
 */
export function keepExecutions(calls: ToolCall[], stored: ToolCall[]): ToolCall[] {
  if (!stored.some((call) => call.execution)) return calls;
  const merged = calls.map((call) => {
    const execution = stored.find((other) => other.id === call.id)?.execution;
    return execution && !call.execution ? { ...call, execution } : call;
  });
  // Tool calls are JSON values (they are persisted); a stored execution makes this the rare case.
  return JSON.stringify(merged) === JSON.stringify(stored) ? stored : merged;
}
