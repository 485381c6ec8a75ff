/**
 * Normalises a user question before it is embedded by the semantic cache, so that near-duplicates
 * (case, punctuation, whitespace, filler words) embed identically.
 *
 * Guarantees (all covered by the spec):
 * - Unicode NFKC, then lowercase; runs of whitespace collapse to one space; no leading/trailing space.
 * - Quoted strings ("…", “…”, „…“, «…», '…', ‘…’, `…`) are kept as one unit: their content is only
 *   lowercased and whitespace-collapsed (no punctuation or filler removal), and re-emitted as `"content"`.
 * - Outside quotes, `. , ! ? ; : … ¡ ¿` and stray quote marks become spaces, except `.`/`,`/`:` inside
 *   numbers (`-3.5`, `1,000`, `.5`, `10:30`). Other symbols (`+ - / % $ ( )`, apostrophes) are kept,
 *   so `2+2`, `don't`, `gpt-4` survive; curly apostrophes become `'`.
 * - Filler words are dropped anywhere outside quotes (please, pls, plz, kindly, um, umm, uh, uhh, erm,
 *   hmm, just, actually, basically); greetings and request prefixes only at the start (hey, hi, hello,
 *   [hi|hey|hello] there, can you, could you, would you, i want to know, i'd like to know, i would like
 *   to know, tell me), repeatedly; thanks-phrases only at the end (thanks, thank you, thx, ty, …).
 * - If dropping fillers would leave nothing (e.g. "Thanks!"), the fillers are kept instead.
 * Numbers are not canonicalised here (`1,000` stays `1,000`); the look-alike guard compares values.
 */

export interface TextSegment {
  text: string;
  quoted: boolean;
}

/**
 * Quote pairs. Straight/curly single quotes open only after a non-alphanumeric character and close only
 * before one, so contractions (don't, it’s) and possessives (boys') are not taken for quotes.
 */
const QUOTE_PATTERN =
  // eslint-disable-next-line security/detect-unsafe-regex -- quadratic on unclosed quotes, so callers bound the text (SEMANTIC_MAX_QUESTION_CHARS)
  /(`+)([\s\S]+?)\1|"([^"]+)"|“([^“”]+)[”“]|„([^„“”]+)[“”]|«([^«»]+)»|(?<![\p{L}\p{N}])'(\S(?:[\s\S]*?\S)?)'(?![\p{L}\p{N}])|(?<![\p{L}\p{N}])‘([\s\S]+?)’(?![\p{L}\p{N}])/gu;

/** Splits text into quoted (content only, marks removed) and unquoted segments, in order. */
export function splitQuoted(text: string): TextSegment[] {
  const segments: TextSegment[] = [];
  let last = 0;
  for (const match of text.matchAll(QUOTE_PATTERN)) {
    const start = match.index;
    if (start > last) segments.push({ text: text.slice(last, start), quoted: false });
    const content = match.slice(2).find((group) => group !== undefined) ?? '';
    segments.push({ text: content, quoted: true });
    last = start + match[0].length;
  }
  if (last < text.length) segments.push({ text: text.slice(last), quoted: false });
  return segments;
}

/** The quoted strings of a text, verbatim (NFKC, whitespace-collapsed, case kept). */
export function quotedStrings(text: string): string[] {
  return splitQuoted(text.normalize('NFKC'))
    .filter((segment) => segment.quoted)
    .map((segment) => collapse(segment.text));
}

const collapse = (text: string): string => text.replace(/\s+/gu, ' ').trim();

const DIGIT = /\d/u;
const NUMBER_LEFT = /[\d\s+\-−(]/u;

function stripPunctuation(text: string): string {
  const stripped = text.replace(/[.,!?;:…¡¿]/gu, (mark: string, index: number) => {
    const before = index === 0 ? ' ' : text[index - 1];
    const after = text[index + 1] ?? '';
    if (!DIGIT.test(after)) return ' ';
    if (mark === '.' && NUMBER_LEFT.test(before)) return mark;
    if ((mark === ',' || mark === ':') && DIGIT.test(before)) return mark;
    return ' ';
  });
  return stripped.replace(/[’‘]/gu, "'").replace(/["“”„«»`]/gu, ' ');
}

const FILLERS = new Set([
  'please',
  'pls',
  'plz',
  'kindly',
  'um',
  'umm',
  'uh',
  'uhh',
  'erm',
  'hmm',
  'just',
  'actually',
  'basically',
]);

const LEADING = [
  'hey there',
  'hi there',
  'hello there',
  'hey',
  'hi',
  'hello',
  'can you',
  'could you',
  'would you',
  'i want to know',
  "i'd like to know",
  'i would like to know',
  'tell me',
].map((phrase) => phrase.split(' '));

const TRAILING = [
  'thank you very much',
  'thank you so much',
  'thanks a lot',
  'thanks so much',
  'thanks a bunch',
  'many thanks',
  'thank you',
  'thanks',
  'thx',
  'ty',
].map((phrase) => phrase.split(' '));

interface Token {
  word: string;
  quoted: boolean;
}

function matchesAt(tokens: Token[], at: number, phrase: string[]): boolean {
  if (at < 0 || at + phrase.length > tokens.length) return false;
  return phrase.every((word, i) => !tokens[at + i].quoted && tokens[at + i].word === word);
}

function dropFillers(all: Token[]): Token[] {
  const tokens = all.filter((token) => token.quoted || !FILLERS.has(token.word));
  let changed = true;
  while (changed && tokens.length > 0) {
    changed = false;
    for (const phrase of LEADING) {
      if (phrase.length < tokens.length && matchesAt(tokens, 0, phrase)) {
        tokens.splice(0, phrase.length);
        changed = true;
        break;
      }
    }
    for (const phrase of TRAILING) {
      if (phrase.length < tokens.length && matchesAt(tokens, tokens.length - phrase.length, phrase)) {
        tokens.splice(tokens.length - phrase.length, phrase.length);
        changed = true;
        break;
      }
    }
  }
  return tokens;
}

/** The text the semantic cache embeds for a question (see the module comment for guarantees). */
export function normalizeQuestion(text: string): string {
  const tokens: Token[] = [];
  for (const segment of splitQuoted(text.normalize('NFKC'))) {
    const lower = segment.text.toLowerCase();
    if (segment.quoted) {
      tokens.push({ word: `"${collapse(lower.replace(/[’‘]/gu, "'"))}"`, quoted: true });
      continue;
    }
    for (const word of collapse(stripPunctuation(lower)).split(' ')) {
      if (word !== '') tokens.push({ word, quoted: false });
    }
  }
  const kept = dropFillers(tokens);
  return (kept.length > 0 ? kept : tokens).map((token) => token.word).join(' ');
}
