// How the fake model cuts text into tokens: roughly as a model's tokenizer does (a word with its
// leading space), so that pacing and token counts look like a real model's.

/** Cuts text into model-like tokens: a word with its leading space, long words in pieces of ≤ 6 characters. */
export function tokenize(text: string): string[] {
  const tokens: string[] = [];
  for (const match of text.matchAll(/\s*\S+|\s+$/gu)) {
    const word = match[0];
    const chars = Array.from(word); // never split a surrogate pair
    for (let i = 0; i < chars.length; i += 6) tokens.push(chars.slice(i, i + 6).join(''));
  }
  return tokens;
}
