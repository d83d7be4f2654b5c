/**
 * An OpenAI Chat Completions upstream for cancel-versus-end races: `words` text deltas, then the
 * finish chunk, the usage chunk and `[DONE]`, each written on its own with a random gap of 0–`maxGapMs`
 * ms, so a cancel can land before the finish, between the finish and the usage, between the
 * usage and `[DONE]`, or after the close. Stops writing when its signal aborts.
 */
const encoder = new TextEncoder();

export const RACE_INPUT_TOKENS = 12;

export const raceDelta = (n: number) =>
  `data: {"id":"chatcmpl-r","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"w${n} "},"finish_reason":null}]}\n\n`;
export const RACE_FINISH = 'data: {"id":"chatcmpl-r","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n';
export const raceUsage = (outputTokens: number) =>
  `data: {"id":"chatcmpl-r","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":${RACE_INPUT_TOKENS},"completion_tokens":${outputTokens}}}\n\n`;
export const RACE_DONE = 'data: [DONE]\n\n';

export type RaceRun = { aborted: boolean; wroteFinish: boolean; closed: boolean };

export function createRaceUpstream(options: { words: number; maxGapMs: number; random: () => number }) {
  const runs: RaceRun[] = [];
  return {
    runs,
    upstream(signal: AbortSignal): Response {
      const run: RaceRun = { aborted: false, wroteFinish: false, closed: false };
      runs.push(run);
      const parts = [...Array.from({ length: options.words }, (_, n) => raceDelta(n)), RACE_FINISH, raceUsage(options.words), RACE_DONE];
      let timer: ReturnType<typeof setTimeout> | undefined;
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          let next = 0;
          const write = () => {
            if (signal.aborted) return;
            if (next === parts.length) {
              run.closed = true;
              controller.close();
              return;
            }
            const part = parts[next++]!;
            if (part === RACE_FINISH) run.wroteFinish = true;
            controller.enqueue(encoder.encode(part));
            timer = setTimeout(write, Math.floor(options.random() * (options.maxGapMs + 1)));
          };
          signal.addEventListener(
            'abort',
            () => {
              run.aborted = true;
              clearTimeout(timer);
              try {
                controller.error(signal.reason);
              } catch {
                // closed already
              }
            },
            { once: true },
          );
          write();
        },
        cancel() {
          clearTimeout(timer);
        },
      });
      return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
    },
  };
}
