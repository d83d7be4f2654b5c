import { http } from 'msw';
import type { Protocol } from '../../src/core/index';
import { createFakeModel, createStreamRegistry, createToolLoopScript, handleCancel, handleModelStream, readToolHistory, TOOL_LOOP_FAKE_STEPS, type ToolHistory } from '../../src/server/index';

/**
 * The tool run's model server inside the page (MSW), made of the library's own server helpers, as
 * the demo's /api/tools/chat: `handleModelStream` over the fake model scripted by
 * `TOOL_LOOP_FAKE_STEPS` (step 1 calls get_weather and delete_file, step 2 answers with the results
 * it reads in the history), and `handleCancel`, on one in-memory registry.
 *
 * - `POST /api/tools/chat`: one step; the body carries `protocol`, `tokensPerSecond` and the history.
 * - `POST /api/tools/cancel`: the cancel endpoint.
 */
const registry = createStreamRegistry();
const model = createFakeModel();
const answer = createToolLoopScript(TOOL_LOOP_FAKE_STEPS);
/** Every step request, as the fake model read it: the play functions check that no next step came. */
const requests: ToolHistory[] = [];

export const toolLoopServer = {
  /** The step requests so far, oldest first. */
  requests: (): readonly ToolHistory[] => [...requests],
  /** The fake model's latest run (its tokens after the abort: 0–1 after a confirmed Stop). */
  latestRun: () => model.runs.at(-1) ?? null,
};

const chat = http.post('/api/tools/chat', async ({ request }) => {
  const body = (await request.clone().json()) as { protocol?: Protocol; tokensPerSecond?: number };
  requests.push(readToolHistory(body));
  const script = answer(body);
  const protocol = body.protocol ?? 'anthropic';
  return handleModelStream(request, { registry, upstream: (signal) => model.stream(signal, { protocol, tokensPerSecond: body.tokensPerSecond ?? 40, script }) });
});

const cancel = http.post('/api/tools/cancel', ({ request }) => handleCancel(request, { registry, rateLimit: false }));

export const toolLoopHandlers = [chat, cancel];
