import { createParser, type EventSourceParser } from 'eventsource-parser';
import { StreamProtocolError } from '../errors';

// SSE framing for the stream decoder: eventsource-parser with the one rule we add, a bound on the
// size of an event, whichever way it arrives.

/**
 * An SSE parser that calls `onEvent` with each event's name (`undefined` without an `event:`
 * line), data and `id:` field (`undefined` without one: a resume cursor, docs/resume.md). An event longer than `maxEventSize` throws `buffer-overflow`: eventsource-parser
 * bounds what it buffers between chunks, and an event that arrives whole in one chunk is bounded
 * here. Unknown fields and bad `retry:` values are ignored, as EventSource does.
 */
export function createSseFraming(maxEventSize: number, onEvent: (eventName: string | undefined, data: string, id: string | undefined) => void): EventSourceParser {
  return createParser({
    maxBufferSize: maxEventSize,
    onEvent: ({ event, data, id }) => {
      if (data.length > maxEventSize) {
        throw new StreamProtocolError('buffer-overflow', `A stream event grew past ${maxEventSize} characters.`, data.slice(0, 1000));
      }
      onEvent(event, data, id);
    },
    onError: (error) => {
      if (error.type === 'max-buffer-size-exceeded') {
        throw new StreamProtocolError('buffer-overflow', `A stream event grew past ${maxEventSize} characters.`, '');
      }
    },
  });
}
