import type { FakeModelScript } from './createFakeModel';
import { readToolHistory, type ToolHistory } from './readToolHistory';

/** One step of a scripted tool run: an answer, or a function of the history that picks it. */
export type ToolLoopStep = FakeModelScript | ((history: ToolHistory) => FakeModelScript);

/**
 * A fake model's answer that depends on the request, for multi-step tool runs: `steps[n - 1]`
 * answers step `n`, the step being read from the history the request carries
 * ({@link readToolHistory}: 1 + the model turns since the last user turn), so the same function
 * serves every step of every run. Past the last step, the last one answers again. A step given as
 * a function gets the history, with this run's tool results, and can answer with them.
 *
 * The request must carry the whole history, the user's message included (as a provider's does):
 * `toModelMessages(messages)` plus, at step 1, the new user message.
 *
 * @example
 * ```ts
 * const model = createFakeModel();
 * const answer = createToolLoopScript([
 *   { toolCalls: [{ name: 'get_weather', args: { city: 'Genève' } }] },
 *   ({ results }) => ({ text: `It is ${results[0]?.output ?? 'unknown'} there.` }),
 * ]);
 * export async function POST(request: Request) {
 *   const script = answer(await request.clone().json());
 *   return handleModelStream(request, { registry, upstream: (signal) => model.stream(signal, { script }) });
 * }
 * ```
 */
export function createToolLoopScript(steps: readonly ToolLoopStep[]): (body: unknown) => FakeModelScript {
  if (steps.length === 0) throw new TypeError('createToolLoopScript needs at least one step.');
  return (body) => {
    const history = readToolHistory(body);
    const step = steps[Math.min(history.step, steps.length) - 1]!;
    return typeof step === 'function' ? step(history) : step;
  };
}
