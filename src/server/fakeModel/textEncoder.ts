import type { WireEncoder } from './WireEncoder';

// Plain text: the answer's text as it is; everything else (reasoning, tools, usage) has no place.

/** Encodes one answer as plain text (the text deltas only). */
export function textEncoder(): WireEncoder {
  return {
    protocol: 'text',
    contentType: 'text/plain; charset=utf-8',
    start: () => '',
    text: (delta) => delta,
    reasoning: () => '',
    toolStart: () => '',
    toolDelta: () => '',
    toolEnd: () => '',
    finish: () => '',
    error: () => '',
  };
}
