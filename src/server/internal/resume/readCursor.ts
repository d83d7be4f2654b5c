import type { ResumeLogMeta } from '../../types';

/** The longest cursor read (an offset and a tag are far shorter): anything longer is refused. */
const MAX_CURSOR_LENGTH = 64;

/**
 * The content offset a resume starts after, from its `Last-Event-ID` (docs/resume.md): `0` without
 * one; `<offset>.<tag>` for SSE streams (the id of the last event the client applied, with this
 * stream's tag); a plain byte count for text and NDJSON. `null`: malformed, or another stream's.
 */
export function readCursor(header: string | null, framing: ResumeLogMeta['framing'], tag: string): number | null {
  if (header === null || header === '') return 0;
  if (header.length > MAX_CURSOR_LENGTH) return null;
  const match = framing === 'sse' ? /^(\d{1,15})\.([0-9a-z]+)$/.exec(header) : /^(\d{1,15})$/.exec(header);
  if (match === null) return null;
  if (framing === 'sse' && match[2] !== tag) return null;
  return Number(match[1]);
}
