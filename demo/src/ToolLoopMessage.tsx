import type { Message } from '../../src/store/index';
import type { ToolReport } from './createDemoTools';
import { ToolCallRow } from './ToolCallRow';

/** What a step's calls can do: the hook's actions (docs/tools.md "Approval"). */
export type ToolLoopActions = {
  approveToolCall: (toolCallId: string) => void;
  denyToolCall: (toolCallId: string, reason?: string) => void;
  stop: () => unknown;
};

const DENY_REASON = 'Keep my draft';
const settled = (state: string | undefined) => state === 'done' || state === 'error' || state === 'denied';

/** One message of the tool run: the user's, or a step's with its tool calls (`step` counts from 1 after the user's). */
export function ToolLoopMessage({ message: m, step, reports, actions }: { message: Message; step: number; reports: Record<string, ToolReport>; actions: ToolLoopActions }) {
  return (
    <li className={`message message-${m.role}`} data-testid={`loop-${m.role}`} data-step={m.role === 'assistant' ? step : undefined} data-status={m.status}>
      <strong>{m.role === 'user' ? 'You' : `Model · step ${step}`}</strong> <span className="badge">{m.status}</span>{' '}
      {m.incomplete && (
        <span className={`badge badge-${m.incomplete.reason}`} data-testid="loop-incomplete" data-reason={m.incomplete.reason} data-server-confirmed={String(m.incomplete.serverConfirmed ?? false)}>
          {m.incomplete.reason} · server {m.incomplete.serverConfirmed ? 'confirmed' : 'did not confirm'}
        </span>
      )}
      <p className="text" data-testid="loop-text">
        {m.text}
      </p>
      {m.toolCalls.length > 0 && (
        <ul className="tool-run-calls">
          {m.toolCalls.map((call) => (
            <ToolCallRow
              key={call.id}
              call={call}
              report={reports[call.id]}
              onAllow={() => actions.approveToolCall(call.id)}
              onDeny={() => actions.denyToolCall(call.id, DENY_REASON)}
              onDenyAndStop={
                // Offered once the other calls have their results: the denial is then the last one,
                // and the Stop in the same click lands between the steps.
                m.toolCalls.every((c) => c.id === call.id || settled(c.execution?.state))
                  ? () => {
                      actions.denyToolCall(call.id, DENY_REASON);
                      void actions.stop();
                    }
                  : undefined
              }
            />
          ))}
        </ul>
      )}
    </li>
  );
}
