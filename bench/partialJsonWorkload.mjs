// Deterministic tool-argument workloads for the partial-JSON benchmarks.
//
// `makeToolArgs(bytes)` builds the arguments a model might stream to a "publish a report" tool:
// a few scalar options, nested settings, sections of prose (long strings with quotes,
// backslashes, newlines, tabs, accented letters, CJK and emoji, i.e. surrogate pairs) and an array
// of records (ids, names, emails, booleans, null, negative numbers and exponents, nested
// addresses, tag arrays). Sections and records are added in turn until the JSON text reaches
// `bytes` characters, so every size has the same mix, about half prose and half records, and the
// two big arrays grow with the size. A seeded PRNG (mulberry32) makes the output identical on
// every run and machine.


import { mulberry32 } from './stats.mjs';
const WORDS = [
  'stream', 'token', 'model', 'cancel', 'server', 'latency', 'budget', 'review', 'draft', 'signal',
  'résumé', 'café', 'naïve', 'Größe', 'façade', 'déjà', 'über', 'niño', 'smörgåsbord', 'crème',
  '東京', '数据', 'ストリーム', 'данные', 'δεδομένα', 'emoji😀', 'rocket🚀', 'check✅', 'flag🇫🇷', 'family👨‍👩‍👧',
  'a "quoted" word', 'C:\\Users\\report', 'tab\tseparated', 'line\nbreak', 'path/to/file', '50% off', '<tag>', 'a&b',
];
const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Zoë', 'José', 'Søren', 'Małgorzata'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', "O'Brien", 'Müller', 'Nguyễn'];
const CITIES = ['Paris', 'Zürich', 'São Paulo', 'Kraków', 'Reykjavík', '東京', 'New York', 'Montréal'];
const TAGS = ['urgent', 'beta', 'vip', 'eu', 'us', 'apac', 'trial', 'churn-risk', 'überprüft', '✓'];

/**
 * A realistic, deterministic tool-arguments object whose `JSON.stringify` is about `bytes`
 * characters long (never shorter than a small fixed head, at most one section or record longer).
 * @param {number} bytes
 * @param {number} [seed]
 */
export function makeToolArgs(bytes, seed = 0x5eed) {
  const rand = mulberry32(seed);
  const int = (n) => Math.floor(rand() * n);
  const pick = (list) => list[int(list.length)];
  const sentence = (words) => {
    const out = [];
    for (let i = 0; i < words; i++) out.push(pick(WORDS));
    const s = out.join(' ');
    return s.charAt(0).toUpperCase() + s.slice(1) + '.';
  };
  const paragraph = () => {
    const out = [];
    for (let i = 0, n = 3 + int(4); i < n; i++) out.push(sentence(6 + int(10)));
    return out.join(' ');
  };

  const args = {
    reportId: 'rpt_7f3a9c21',
    title: 'Quarterly review — “streaming & cancellation” (draft)',
    language: 'en-GB',
    draft: true,
    publishAt: null,
    priority: 3,
    settings: {
      format: 'markdown',
      includeCharts: false,
      maxRows: 1e4,
      threshold: 0.075,
      offsetHours: -5.5,
      tolerance: 2.5e-7,
      locale: { currency: 'EUR', decimal: ',', grouping: [3, 3] },
      reviewers: [],
      labels: {},
    },
    summary: paragraph(),
    sections: [],
    records: [],
  };
  let size = JSON.stringify(args).length;
  let section = 0;
  let record = 0;
  while (size < bytes) {
    // Roughly one section (~1.2 KB) per four records (~300 B each): half prose, half records.
    const item =
      record >= 4 * section
        ? {
            id: `sec-${++section}`,
            heading: sentence(3 + int(5)),
            body: `${paragraph()}\n\n${paragraph()}`,
            bullets: Array.from({ length: 2 + int(4) }, () => sentence(4 + int(6))),
            meta: { words: 80 + int(400), reviewed: rand() < 0.5, confidence: Math.round(rand() * 1000) / 1000, reviewer: null },
          }
        : {
            id: ++record,
            name: `${pick(FIRST)} ${pick(LAST)}`,
            email: `user${record}@example.com`,
            active: rand() < 0.7,
            score: Math.round((rand() - 0.3) * 100000) / 100,
            ratio: Number((rand() * 1e-4).toExponential(3)),
            tags: Array.from({ length: int(4) }, () => pick(TAGS)),
            address: { street: `${1 + int(200)} ${pick(LAST)} Street`, city: pick(CITIES), zip: String(10000 + int(89999)) },
            notes: rand() < 0.6 ? null : sentence(5 + int(8)),
          };
    const list = typeof item.id === 'number' ? args.records : args.sections;
    // +1 for the comma (or nothing for the first element: a 1-character overestimate at most).
    size += JSON.stringify(item).length + (list.length > 0 ? 1 : 0);
    list.push(item);
  }
  return args;
}

/**
 * `JSON.stringify(makeToolArgs(bytes))`. With `asciiOnly`, every non-ASCII character is written as
 * a `\uXXXX` escape (emoji as two escapes, a surrogate pair), as providers that serialise with
 * Python's `ensure_ascii` send them; the text is then longer than `bytes`.
 * @param {number} bytes
 * @param {{ asciiOnly?: boolean, seed?: number }} [options]
 */
export function makeToolArgsText(bytes, { asciiOnly = false, seed } = {}) {
  const text = JSON.stringify(makeToolArgs(bytes, seed));
  if (!asciiOnly) return text;
  return text.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * The worst case for snapshot copying: one top-level array of about `bytes` characters of small
 * records (`{"i":1,"ok":true}`), so the open array holds tens of thousands of elements.
 * @param {number} bytes
 */
export function makeSmallItemsText(bytes) {
  const parts = [];
  let size = 2;
  for (let i = 0; size < bytes; i++) {
    const part = JSON.stringify({ i, ok: i % 3 !== 0 });
    parts.push(part);
    size += part.length + 1;
  }
  return `[${parts.join(',')}]`;
}

/**
 * Splits `text` into deltas of `n` UTF-16 code units (the last may be shorter), like a provider
 * that cuts anywhere: inside escapes, numbers, literals and between the halves of a surrogate pair.
 * @param {string} text
 * @param {number} n
 */
export function splitEvery(text, n) {
  if (!(n >= 1)) throw new RangeError('splitEvery: n must be at least 1');
  const out = [];
  for (let i = 0; i < text.length; i += n) out.push(text.slice(i, i + n));
  return out;
}
