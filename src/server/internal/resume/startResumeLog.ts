import { AI_SDK_HEADER } from '../cancelTerminal';
import type { ModelStreamContext } from '../modelStreamContext';
import { createLogEntries } from './createLogEntries';
import type { ResolvedResume } from './resolveResume';
import { streamTag } from './streamTag';

/**
 * Creates a streaming answer's resume log, as its body starts: with the answer's headers (a resume
 * repeats them) and the framing the side decoder knows by now (from the protocol the app named or
 * the content type; a stream whose framing is not known yet is logged as plain bytes). From here on
 * the forwarder writes every byte to the log as well.
 */
export function startResumeLog(stream: ModelStreamContext, resume: ResolvedResume, headers: Headers): void {
  const registration = stream.state.registration!;
  const framing = stream.decoder.framing() ?? 'text';
  const meta = { contentType: headers.get('content-type'), aiSdk: headers.get(AI_SDK_HEADER), framing };
  const writer = resume.store.create(registration.streamId, stream.secretHash, meta, resume.limits);
  stream.state.resumeLog = writer;
  stream.forwarder.log(writer, createLogEntries(framing, streamTag(registration.streamId)));
}
