import type { Tools } from '../../src/index';

/** What a tool did with its call, as the tool itself saw it (not the store): shown next to the call. */
export type ToolReport = 'running' | 'finished' | 'aborted';

/**
 * The tool run's tools (docs/tools.md), the ones the fake model's TOOL_LOOP_FAKE_STEPS calls:
 * `get_weather` runs on the client for `weatherMs` and honours its signal (a Stop aborts it, and it
 * says so through `report`, so the page can show that the signal really fired); `delete_file`
 * needs the user's approval first.
 */
export function createDemoTools(report: (toolCallId: string, what: ToolReport) => void, weatherMs = 1500): Tools {
  return {
    get_weather: (args: { city?: string }, { signal, toolCallId }) =>
      new Promise((resolve, reject) => {
        report(toolCallId, 'running');
        const timer = setTimeout(() => {
          report(toolCallId, 'finished');
          resolve({ city: args.city ?? 'Genève', celsius: 21, sky: 'sunny' });
        }, weatherMs);
        signal.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            report(toolCallId, 'aborted');
            reject(signal.reason);
          },
          { once: true },
        );
      }),
    delete_file: {
      needsApproval: true,
      execute: (args: { path?: string }, { toolCallId }) => {
        report(toolCallId, 'finished');
        return { deleted: true, path: args.path };
      },
    },
  };
}
