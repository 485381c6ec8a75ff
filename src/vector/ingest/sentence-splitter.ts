/** A half-open range `[start, end)` of a string. */
export interface Span {
  start: number;
  end: number;
}

// Candidate ends: Latin terminators (with closing quotes/brackets) before whitespace; CJK and
// Devanagari terminators, which need no following space; a blank line.
const BOUNDARY = /[.!?…]+[)"'”’»\]]*(?=\s|$)|[。！？｡।]+[)"'”’」』）\]]*|\n[ \t]*\n/g;

// Lower-cased words that end in a period without ending the sentence.
const ABBREVIATIONS = new Set([
  ...'mr mrs ms dr prof sr jr st mt vs cf al approx ca e.g i.e eg ie fig'.split(' '),
  ...'figs no nos vol p pp ch sec art dept inc ltd corp gen gov rev u.s u.k a.m p.m'.split(' '),
]);
const LATIN_TERMINATOR = /^[.!?…]/;
const SINGLE_PERIOD = /^\.(?![.!?…])/;
const LOWERCASE_START = /^\p{Ll}/u;
const INITIAL = /^\p{Lu}$/u;
const DIGITS = /^\d+$/;

/**
 * Splits text into sentences, returned as trimmed spans in order; blank lines always end one.
 * Nothing ends a sentence before a lower-case word ("Wait... what"), and a period does not after a
 * known abbreviation or an initial ("Dr. Smith", "J. Smith"), inside a number ("3.14") or after a
 * list number at a line start.
 */
export function splitSentences(text: string): Span[] {
  const spans: Span[] = [];
  let start = 0;
  BOUNDARY.lastIndex = 0;
  for (let match = BOUNDARY.exec(text); match !== null; match = BOUNDARY.exec(text)) {
    const isBlankLine = match[0].startsWith('\n');
    const end = isBlankLine ? match.index : match.index + match[0].length;
    if (!isBlankLine && !endsSentence(text, match.index, match[0], end)) continue;
    pushTrimmed(spans, text, start, end);
    start = isBlankLine ? match.index + match[0].length : end;
  }
  pushTrimmed(spans, text, start, text.length);
  return spans;
}

function endsSentence(text: string, at: number, terminator: string, end: number): boolean {
  if (!LATIN_TERMINATOR.test(terminator)) return true;
  // Sentences do not start in lower case: "e.g. this", "Wait... what", "Yahoo! is".
  if (LOWERCASE_START.test(nextCharacter(text, end))) return false;
  if (!SINGLE_PERIOD.test(terminator)) return true;
  const word = previousWord(text, at);
  const bare = word.replace(/^[("'“‘[]+/, '');
  if (ABBREVIATIONS.has(bare.toLowerCase()) || INITIAL.test(bare)) return false;
  // "1. First item" at a line start is a list number, not a one-word sentence.
  return !(DIGITS.test(word) && atLineStart(text, at - word.length));
}

function previousWord(text: string, at: number): string {
  let i = at;
  while (i > 0 && !/\s/.test(text[i - 1]) && at - i < 32) i--;
  return text.slice(i, at);
}

function nextCharacter(text: string, from: number): string {
  let i = from;
  while (i < text.length && /\s/.test(text[i])) i++;
  return text.slice(i, i + 1);
}

function atLineStart(text: string, at: number): boolean {
  let i = at;
  while (i > 0 && (text[i - 1] === ' ' || text[i - 1] === '\t')) i--;
  return i === 0 || text[i - 1] === '\n';
}

function pushTrimmed(spans: Span[], text: string, start: number, end: number): void {
  let s = start;
  let e = end;
  while (s < e && /\s/.test(text[s])) s++;
  while (e > s && /\s/.test(text[e - 1])) e--;
  if (s < e) spans.push({ start: s, end: e });
}
