import { createAccumulator, type AccumulatedMessage } from '../../core/accumulator';
import { createStreamDecoder, type StreamDecoder } from '../../core/decoders/createStreamDecoder';
import { detectProtocolFromContentType } from '../../core/decoders/detectProtocol';
import type { Protocol, StreamEvent } from '../../core/types';
import type { CancelReport } from '../types';
import type { Framing } from './createBoundaryBuffer';
import { estimateUsage } from './estimateUsage';

/**
 * Reads the upstream as it passes through, for two things only: the usage a cancel reports, and
 * where the forwarded bytes may be cut (the framing). The pass-through never depends on it: a
 * decoder that throws is set aside, and its framing falls back to plain bytes.
 */
export type SideDecoder = {
  /** Starts decoding, once the upstream answered (its content type helps to tell the protocol). */
  start(contentType: string | null): void;
  push(chunk: Uint8Array): void;
  end(): void;
  /** The protocol, once known (named by the app, or detected). */
  readonly protocol: Protocol | null;
  /** Where forwarded bytes may be cut; `null` while that is not known yet. */
  framing(): Framing | null;
  /** The usage known so far, measured or estimated (docs/server.md, "Usage on cancel"). */
  usage(): CancelReport;
  /** What was decoded so far: text, reasoning, tool calls, usage, finish reason, id (for `onFinish`). */
  message(): AccumulatedMessage;
};

function framingOf(protocol: Protocol): Framing {
  return protocol === 'text' ? 'text' : protocol === 'ndjson' ? 'ndjson' : 'sse';
}

/** `onEvent` sees every decoded event, in the same task as the `push` that decoded it. */
export function createSideDecoder(protocol: Protocol | 'auto', onEvent: (event: StreamEvent) => void): SideDecoder {
  const accumulator = createAccumulator();
  let decoder: StreamDecoder | null = null;
  let failed = false;
  let knownFraming: Framing | null = protocol === 'auto' ? null : framingOf(protocol);

  const guarded = (step: (decoder: StreamDecoder) => void) => {
    if (decoder === null || failed) return;
    try {
      step(decoder);
    } catch {
      // The pass-through does not depend on understanding the stream; only the usage does.
      failed = true;
    }
  };

  return {
    start(contentType) {
      if (knownFraming === null) knownFraming = detectProtocolFromContentType(contentType);
      decoder = createStreamDecoder({ protocol, contentType }, (event) => {
        accumulator.apply(event);
        onEvent(event);
      });
    },
    push: (chunk) => guarded((d) => d.push(chunk)),
    end: () => guarded((d) => d.end()),
    get protocol() {
      return decoder?.protocol ?? null;
    },
    framing() {
      if (knownFraming) return knownFraming;
      if (decoder?.protocol) return (knownFraming = framingOf(decoder.protocol));
      // The side decoder could not tell (or failed): pass the bytes through as they come.
      if (failed) return 'text';
      return null;
    },
    usage: () => estimateUsage(accumulator.message()),
    message: () => accumulator.message(),
  };
}
