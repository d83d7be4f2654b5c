import type { Message, MessagePatch, ToolExecution } from './types';

/**
 * `setToolExecution`'s change to `message`: the call `toolCallId` with `execution` (none for
 * `undefined`), `updatedAt` past the stored one even in the same millisecond (so that cross-tab
 * merge takes it); `{}` (no change) for an unknown call or an equal execution.
 */
export function toolExecutionPatch({ toolCalls, updatedAt }: Message, toolCallId: string, execution: ToolExecution | undefined, now: number): MessagePatch {
  const call = toolCalls.find((other) => other.id === toolCallId);
  if (!call || JSON.stringify(call.execution) === JSON.stringify(execution)) return {};
  const next = { ...call, execution };
  if (!execution) delete next.execution;
  return { toolCalls: toolCalls.map((other) => (other === call ? next : other)), updatedAt: Math.max(now, updatedAt + 1) };
}
