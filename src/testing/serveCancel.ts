import { handleCancel } from '../server/handleCancel';
import type { MockServerContext } from './MockServerContext';
import { errorAnswer } from './answer';
import { readBody } from './readBody';
import { wait } from './wait';

/**
 * Answers a cancel request: the real `handleCancel`, unless the cancel fault now set makes it fail
 * as on a network error, hang, answer late or answer an HTTP error. The request is recorded, and
 * its answer resolved once answered (or failed).
 */
export async function serveCancel(request: Request, context: MockServerContext): Promise<Response> {
  const fault = context.settings.faults?.cancel;
  const { registry, recorder } = context;
  const record = recorder.addCancel(streamIdOf(await readBody(request)));
  const failed = () => {
    recorder.answered(record);
    return Response.error();
  };
  if (fault === 'network-error') return failed();
  if (fault === 'hang') {
    await wait(undefined, request.signal);
    return failed();
  }
  if (fault?.delayMs !== undefined) {
    await wait(fault.delayMs, request.signal);
    if (request.signal.aborted) return failed();
  }
  const response = fault?.status !== undefined ? errorAnswer(fault.status, fault.body) : await handleCancel(request, { registry, rateLimit: false });
  record.status = response.status;
  record.answer = await readBody(response);
  recorder.answered(record);
  return response;
}

/** The `streamId` of a cancel body, when it has one. */
function streamIdOf(body: unknown): string | null {
  const streamId = (body as { streamId?: unknown } | null)?.streamId;
  return typeof streamId === 'string' ? streamId : null;
}
