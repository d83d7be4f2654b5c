import type { Turn, TurnReasoning } from './Turn';

/** One piece of an assistant turn's content, in stream order. */
export type TurnPiece = { type: 'text'; text: string } | { type: 'call'; call: Turn['calls'][number] } | { type: 'reasoning'; part: TurnReasoning };

/**
 * An assistant turn's content in stream order: its reasoning blocks where they came, the text and
 * calls between them (within a stretch between two blocks, text before calls: the stream does not
 * say how text and calls interleave there). Blank stretches of text are not pieces.
 */
export function turnPieces(turn: Turn): TurnPiece[] {
  const pieces: TurnPiece[] = [];
  let text = 0;
  let calls = 0;
  const flush = (toText: number, toCalls: number) => {
    const stretch = turn.text.slice(text, toText);
    if (stretch.trim() !== '') pieces.push({ type: 'text', text: stretch });
    text = Math.max(text, toText);
    while (calls < toCalls && calls < turn.calls.length) pieces.push({ type: 'call', call: turn.calls[calls++]! });
  };
  for (const part of turn.reasoning) {
    flush(Math.max(text, part.textOffset), Math.max(calls, part.callsBefore));
    pieces.push({ type: 'reasoning', part });
  }
  flush(turn.text.length, turn.calls.length);
  return pieces;
}
