import type { ToolCall } from '../../src/store/index';
import type { ToolReport } from './createDemoTools';

/** Where a call stands for the user: its execution, else where its arguments are. */
export function executionLabel(call: ToolCall): string {
  const execution = call.execution;
  if (!execution) return call.state === 'streaming' ? 'arguments streaming' : call.state === 'incomplete' ? 'cut off' : 'not run';
  if (execution.state === 'awaiting-approval') return 'awaiting approval';
  if (execution.state === 'cancelled') return `cancelled (${execution.reason})`;
  if (execution.state === 'denied') return execution.reason ? `denied: ${execution.reason}` : 'denied';
  if (execution.state === 'error') return `error: ${execution.error}`;
  return execution.state;
}

type Props = {
  call: ToolCall;
  /** What the tool itself reported (its signal aborted, …): absent for a tool that did not run. */
  report: ToolReport | undefined;
  onAllow: () => void;
  onDeny: () => void;
  /** "Deny and stop at once": the last result in, then a Stop before the next step starts. Absent: not offered. */
  onDenyAndStop?: () => void;
};

/** One tool call of a step: its name and arguments, its execution state, and Allow / Deny while it awaits approval. */
export function ToolCallRow({ call, report, onAllow, onDeny, onDenyAndStop }: Props) {
  const state = call.execution?.state ?? 'none';
  return (
    <li className="tool-run-call" data-testid="loop-call" data-name={call.name} data-execution={state} data-report={report}>
      <code>
        {call.name}({call.argsText})
      </code>{' '}
      <span className={`badge badge-exec-${state}`} data-testid="loop-call-state">
        {executionLabel(call)}
      </span>
      {report && (
        <small className="tool-report" data-testid="loop-call-report">
          {' '}
          tool: {report === 'aborted' ? 'signal aborted' : report}
        </small>
      )}
      {state === 'awaiting-approval' && (
        <span className="approval">
          <button type="button" onClick={onAllow} aria-label={`Allow ${call.name}`}>
            Allow
          </button>
          <button type="button" onClick={onDeny} aria-label={`Deny ${call.name}`}>
            Deny
          </button>
          {onDenyAndStop && (
            <button type="button" onClick={onDenyAndStop} title="Deny, then Stop in the same click: every result is in, the next step has not started">
              Deny and stop at once
            </button>
          )}
        </span>
      )}
      {call.execution?.state === 'done' && <pre className="tool-result">{JSON.stringify(call.execution.result)}</pre>}
    </li>
  );
}
