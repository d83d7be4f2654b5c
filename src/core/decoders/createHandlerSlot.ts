import { StreamProtocolError } from '../errors';
import type { DecodeOptions, Protocol } from '../types';
import { detectProtocolFromEvent } from './detectProtocol';
import { emitArgsDelta, emitDelta, emitError, emitUsage } from './emitEvents';
import type { EmitEvent, HandlerKit, HandlerSource, JsonEventHandler, JsonProtocol } from './handler';
import { parseEventJson } from './parseJson';

/** What every handler gets instead of importing it (handler.ts says why). */
const KIT: HandlerKit = { emitUsage, emitDelta, emitArgsDelta, emitError };

/** A stream's protocol and its handler, once known, possibly still loading (see {@link createHandlerSlot}). */
export type HandlerSlot = {
  /** The protocol in use, once known. */
  protocol: Protocol | null;
  /** The handler, once it is there. */
  handler: JsonEventHandler | null;
  /** While the handler loads: settles once it arrived and applied the held events; rejects if it could not load, or a held event threw. */
  ready: Promise<void> | null;
  /** Why `ready` rejected (`null` while it did not). */
  broken: unknown;
  /** Sets up `protocol`'s handler: at once when it is there, else loading, the events held meanwhile. */
  use(protocol: JsonProtocol): void;
  /** Applies an event now, or holds it while the handler loads (also when `apply` itself started the load: it returns `false`). */
  now(apply: () => boolean): void;
  /**
   * Parses one event's JSON (`isSse`: an SSE event, else an NDJSON line), picks the protocol on the
   * first event if needed, and dispatches; `false` when the handler is still loading (the event is then held).
   */
  json(raw: string, eventName: string | undefined, isSse: boolean): boolean;
  /** Forgets the held events (an SSE resume sends them again: they were not applied). */
  drop(): void;
};

/**
 * The handler of one stream, from `handlers`: the static map gives it at once; the session's
 * lazily loaded chunks give a promise, and the events that come meanwhile are held, in order, and
 * applied when it arrives (docs/size.md, "Protocol handlers, loaded lazily").
 */
export function createHandlerSlot(handlers: HandlerSource, emit: EmitEvent, options: DecodeOptions): HandlerSlot {
  let held: (() => void)[] | null = null;
  const slot: HandlerSlot = {
    protocol: null,
    handler: null,
    ready: null,
    broken: null,
    use(protocol) {
      slot.protocol = protocol;
      const got = handlers(protocol);
      if (typeof got === 'function') return void (slot.handler = got(emit, options, KIT));
      held = [];
      slot.ready = got.then((factory) => {
        slot.handler = factory(emit, options, KIT);
        const queue = held!;
        held = null;
        // A held event that throws (malformed) leaves the rest unapplied: `ready` rejects with it.
        for (const apply of queue) apply();
        slot.ready = null;
      });
      // Never an unhandled rejection (the session awaits `ready`; a decoder nobody reads may not).
      slot.ready.catch((error) => (slot.broken = error));
    },
    now(apply) {
      if (held || !apply()) held!.push(() => slot.now(apply));
    },
    json(raw, eventName, isSse) {
      const data = parseEventJson(raw, isSse, slot.protocol);
      if (!slot.handler) {
        const detected = detectProtocolFromEvent(data, eventName);
        if (!detected) {
          throw new StreamProtocolError('unknown-protocol', 'Could not tell which protocol this stream speaks from its first event; pass `protocol` explicitly.', raw);
        }
        slot.use(detected);
        if (!isSse) slot.protocol = 'ndjson';
        if (!slot.handler) return false;
      }
      // Events are objects; another JSON value (`42`, `null`) carries nothing and is skipped.
      if (data !== null && typeof data === 'object') slot.handler(data, eventName);
      return true;
    },
    drop() {
      held?.splice(0);
    },
  };
  return slot;
}
