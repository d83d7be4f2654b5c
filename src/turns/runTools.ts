import type { MessageStore, ToolCall, ToolExecution } from '../store/types';
import type { Tool, Tools } from './types';

/** A call the next step can send with its result: `done`, `error` or `denied` (docs/tools.md). */
export function hasResult(call: ToolCall): boolean {
  const state = call.execution?.state;
  return state === 'done' || state === 'error' || state === 'denied';
}

/** What one step's tools share: the run's signal (a Stop aborts it) and its pending approvals, by call id. */
export type StepTools = { store: MessageStore; messageId: string; signal: AbortSignal; approvals: Map<string, (approved: boolean) => void> };

/**
 * Runs one call of a tool the app gave: asks for approval when the tool wants it, then runs it.
 * Never rejects: a throw (of `execute` or `needsApproval`) is an `error` result. Once the run is
 * stopped (the signal aborted) nothing more is written: the Stop marked the call `cancelled`.
 */
async function runCall(call: ToolCall, tool: Tool, { store, messageId, signal, approvals }: StepTools): Promise<void> {
  const set = (execution: ToolExecution) => void (signal.aborted || store.getState().setToolExecution(messageId, call.id, execution));
  const { execute, needsApproval } = typeof tool === 'function' ? { execute: tool, needsApproval: false } : tool;
  try {
    if (typeof needsApproval === 'function' ? await needsApproval(call.args) : needsApproval) {
      set({ state: 'awaiting-approval' });
      // A deny sets `denied` itself; a Stop sets `cancelled`.
      if (!(await new Promise<boolean>((resolve) => approvals.set(call.id, resolve)))) return;
    }
    set({ state: 'running' });
    set({ state: 'done', result: await execute(call.args, { signal, toolCallId: call.id }) });
  } catch (error) {
    set({ state: 'error', error: error instanceof Error ? error.message : String(error) });
  }
}

/**
 * Runs the calls of a step's message whose tool the app gave (in parallel), and resolves when every
 * call of the message has a result (the app gives the others: `addToolResult`, `denyToolCall`) or
 * when the run is stopped.
 */
export function runStepTools(tools: Tools, step: StepTools): Promise<void> {
  const { store, messageId, signal } = step;
  const calls = () => store.getState().messages[messageId]?.toolCalls ?? [];
  for (const call of calls()) {
    const tool = Object.hasOwn(tools, call.name) ? tools[call.name] : undefined;
    if (tool) void runCall(call, tool, step);
  }
  return new Promise((resolve) => {
    const check = () => {
      if (!signal.aborted && !calls().every(hasResult)) return;
      unsubscribe();
      signal.removeEventListener('abort', check);
      resolve();
    };
    const unsubscribe = store.subscribe(check);
    signal.addEventListener('abort', check);
    check();
  });
}

/** A Stop between streams: each call of the step without a result is `cancelled` (`stopped`), and the message ends `cancelled`. */
export function cancelStep(store: MessageStore, messageId: string): void {
  const state = store.getState();
  for (const call of state.messages[messageId]?.toolCalls ?? []) {
    if (!hasResult(call)) state.setToolExecution(messageId, call.id, { state: 'cancelled', reason: 'stopped' });
  }
  // No stream was running: there was nothing for the server to confirm (docs/tools.md).
  state.updateMessage(messageId, { status: 'incomplete', incomplete: { reason: 'cancelled', serverConfirmed: false } });
}
