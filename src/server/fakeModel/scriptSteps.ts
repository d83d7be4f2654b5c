import type { FakeModelRun, FakeModelScript } from './createFakeModel';
import { tokenize } from './tokenize';
import type { WireEncoder } from './WireEncoder';

// A fake model's answer as a list of steps, written lazily: the finish step reads the token count
// of the run when it is written, not when the list is made.

/** One step of the answer: `token` steps are one token of output each; the others are framing. */
export type Step = { token: boolean; write: () => string };

/** A tool call's argument pieces: `argsFragments` as given, else its JSON in pieces of 8 characters. */
function argsPieces(call: NonNullable<FakeModelScript['toolCalls']>[number]): readonly string[] {
  if (call.argsFragments) return call.argsFragments.filter((piece) => piece.length > 0);
  const argsText = typeof call.args === 'string' ? call.args : (JSON.stringify(call.args ?? {}) ?? '{}');
  const pieces: string[] = [];
  for (let at = 0; at < argsText.length; at += 8) pieces.push(argsText.slice(at, at + 8));
  return pieces;
}

/**
 * The steps of `script` in `wire`'s format: start, reasoning and text tokens, then the tool calls
 * (not when the script ends in an error), then the finish (usage from `run`) or the error.
 */
export function scriptSteps(wire: WireEncoder, script: FakeModelScript, run: FakeModelRun): Step[] {
  const steps: Step[] = [{ token: false, write: () => wire.start() }];
  for (const piece of tokenize(script.reasoning ?? '')) steps.push({ token: true, write: () => wire.reasoning(piece) });
  for (const piece of tokenize(script.text ?? '')) steps.push({ token: true, write: () => wire.text(piece) });
  if (!script.error) {
    (script.toolCalls ?? []).forEach((call, n) => {
      const callId = call.id ?? `call_${run.id}_${n}`;
      steps.push({ token: false, write: () => wire.toolStart(callId, call.name) });
      for (const piece of argsPieces(call)) steps.push({ token: true, write: () => wire.toolDelta(callId, piece) });
      steps.push({ token: false, write: () => wire.toolEnd(callId) });
    });
  }
  const finishReason = script.finishReason ?? ((script.toolCalls?.length ?? 0) > 0 ? 'tool-calls' : 'stop');
  steps.push({
    token: false,
    write: () =>
      script.error ? wire.error(script.error) : wire.finish(finishReason, { inputTokens: script.inputTokens ?? 0, outputTokens: script.outputTokens ?? run.tokens }),
  });
  return steps;
}
