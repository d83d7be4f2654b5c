import type { Protocol } from '../core/types';
import { DEFAULT_FAKE_SCRIPT, type FakeModelScript } from '../server/fakeModel/createFakeModel';
import { handleModelStream } from '../server/handleModelStream';
import type { MockModelFaults, MockScript } from './MockModelServerOptions';
import type { MockServerContext } from './MockServerContext';
import type { MockStreamRequest } from './createRecorder';
import { errorAnswer } from './answer';
import { dropAfter } from './dropAfter';
import { readBody } from './readBody';

/**
 * Answers a stream request: the real `handleModelStream` over the fake model, with the faults now
 * set (a network error, an HTTP error instead of the model, a stall, a dropped connection). The
 * request is recorded, and its start resolved once answered.
 */
export async function serveStream(request: Request, context: MockServerContext): Promise<Response> {
  const { script, protocol = 'ai-sdk', pace = 0, faults = {} } = context.settings;
  const { registry, recorder } = context;
  const index = recorder.nextStreamIndex();
  const record = recorder.addStream(index, request, await readBody(request));
  if (faults.networkError) {
    recorder.started(record);
    return Response.error();
  }

  const chosen = chooseScript(script, record);
  const upstream = (signal: AbortSignal): Response => {
    if (faults.http !== undefined) {
      const http = typeof faults.http === 'number' ? { status: faults.http } : faults.http;
      return errorAnswer(http.status, http.body, http.headers);
    }
    return runModel(signal, context, record, { protocol, pace, script: chosen, faults });
  };

  let response = await handleModelStream(request, { registry, protocol, upstream });
  const drop = faults.drop;
  if (drop && response.ok) response = dropAfter(response, drop.afterTokens);
  record.status = response.status;
  recorder.started(record);
  return response;
}

/** The script for this request: the fixed one, the one chosen for it, or the demo answer. */
function chooseScript(script: MockScript | undefined, record: MockStreamRequest): FakeModelScript {
  return typeof script === 'function' ? script({ body: record.body, index: record.index }) : (script ?? DEFAULT_FAKE_SCRIPT);
}

/** Starts the fake model (stalling as `faults.stall` says) and records its run on `record`. */
function runModel(
  signal: AbortSignal,
  { model }: MockServerContext,
  record: MockStreamRequest,
  { protocol, pace, script, faults }: { protocol: Protocol; pace: number; script: FakeModelScript; faults: MockModelFaults },
): Response {
  // Plain text carries only the text: the rest would be tokens with no bytes, which would make
  // the fault positions count differently in this format.
  const sent = protocol === 'text' ? { ...script, reasoning: undefined, toolCalls: undefined } : script;
  const response = model.stream(signal, { protocol, intervalMs: pace, script: sent, stall: faults.stall });
  record.run = model.runs[model.runs.length - 1] ?? null;
  return response;
}
