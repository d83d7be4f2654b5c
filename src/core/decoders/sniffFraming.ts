// Framing detection for a stream that came with neither a protocol nor a content type: the
// decoder holds its first characters back until this can tell SSE, NDJSON and plain text apart.

const SSE_LINE = /^(?::|data:|event:|id:|retry:|data$|event$)/;

/**
 * Chooses a framing from the first line of a stream that came without a content type; `null`
 * while the text so far cannot tell (`final`: no more text will come, so it must).
 */
export function sniffFraming(text: string, final: boolean): 'sse' | 'ndjson' | 'text' | null {
  const trimmed = text.trimStart();
  if (trimmed === '') return final ? 'text' : null;
  if (trimmed[0] === '{') return 'ndjson';
  if (!final && trimmed.length < 16 && !/[\r\n]/.test(trimmed)) return null;
  return SSE_LINE.test(trimmed) ? 'sse' : 'text';
}
