import { quotedStrings } from './query-normalizer.js';

/**
 * Second opinion for the semantic cache: two questions the embedder found similar may still ask
 * different things. `lookAlikeReason` compares the ORIGINAL (un-normalised) texts and names the first
 * difference found, in this order:
 *
 * - `numbers`: the multisets of numeric values differ. Digits are read with thousands separators and
 *   trailing decimal zeros ignored (`1,000` = `1000`, `3.50` = `3.5`, `007` = `7`); a `-`/`−` directly
 *   before a number that is not preceded by a letter or digit makes it negative (`-3` ≠ `3`, but the `-`
 *   in `GPT-4` or `2024-01-05` is not a sign). Digits inside words count (`GPT-4` → 4, `iPhone15` → 15),
 *   so GPT-4 vs GPT-5 is reported as `numbers`. `%` and currency symbols are ignored (`5%` → 5, `$5` → 5).
 *   Number words zero…nineteen, tens, hundred, thousand, million, billion and compounds are read as one
 *   value (`twenty-one` = 21, `a hundred` = 100, `two thousand five hundred` = 2500), so `one` in
 *   "which one" counts as 1 (a conservative miss, never a wrong hit).
 * - `negation`: the counts of negations differ (not, no, never, none, nobody, nothing, nowhere, neither,
 *   nor, without, cannot, every `…n't` contraction, and apostrophe-less dont/isnt/cant/…).
 * - `quoted`: the sets of quoted strings ("…", '…', “…”, ‘…’, „…“, «…», `…`) differ; case-sensitive,
 *   whitespace-collapsed.
 * - `entities`: an entity-like token of either text does not occur as a word of the other, compared
 *   case-insensitively with possessive `'s` removed (so "france" typed in lower case matches the entity
 *   "France", and "France's capital" matches "capital of France"). Entity-like: a capitalised word inside
 *   a sentence (Paris, Python), an ALL-CAPS word (USA, UK), a token mixing letters and digits (GPT-4,
 *   iPhone15, mp3) — minus number words and a stoplist of common English function, question, filler and
 *   request words (so `What`, `Please`, `Thanks` and the pronoun `I`/`I'm` never count). A sentence-initial
 *   word is capitalised for grammar only, so its case is ignored: it counts, in any case, unless it is in
 *   the stoplist ("Paris is…" vs "Rome is…" differ, "paris is…" vs "Paris is…" do not). A sentence starts
 *   at the text start and after `. ! ? : ;` or a line break. In SHOUTED text (more than 60% of cased
 *   letters uppercase) capitalisation carries no information: only stoplist-filtered sentence-initial
 *   words and letter+digit tokens count. Entities typed in lower case mid-sentence ("capital of spain"
 *   vs "capital of france") cannot be detected.
 *
 * Returns `undefined` when none of these differ, i.e. the cached answer may be reused.
 */
export type LookAlikeReason = 'numbers' | 'negation' | 'quoted' | 'entities';

export function lookAlikeReason(query: string, cached: string): LookAlikeReason | undefined {
  const a = query.normalize('NFKC');
  const b = cached.normalize('NFKC');
  if (!sameList(numbers(a), numbers(b))) return 'numbers';
  if (negationCount(a) !== negationCount(b)) return 'negation';
  if (!sameSet(quotedStrings(a), quotedStrings(b))) return 'quoted';
  if (!entitiesCovered(a, b) || !entitiesCovered(b, a)) return 'entities';
  return undefined;
}

function sameList(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  const x = [...a].sort();
  const y = [...b].sort();
  return x.every((value, i) => value === y[i]);
}

function sameSet(a: string[], b: string[]): boolean {
  const x = new Set(a);
  const y = new Set(b);
  return x.size === y.size && [...x].every((value) => y.has(value));
}

// ---------------------------------------------------------------- numbers

// eslint-disable-next-line security/detect-unsafe-regex -- linear: the alternatives start with different characters; flat on 20k-char adversarial input
const DIGIT_NUMBER = /(\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.(\d+))?|\.(\d+)/gu;
const SIGN_CONTEXT = /[\p{L}\p{N}]/u;

function canonicalNumber(negative: boolean, integer: string, fraction: string): string {
  const int = integer.replace(/,/gu, '').replace(/^0+(?=\d)/u, '') || '0';
  const frac = fraction.replace(/0+$/u, '');
  const value = frac === '' ? int : `${int}.${frac}`;
  return negative && value !== '0' ? `-${value}` : value;
}

const UNITS: Record<string, number> = {
  zero: 0,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
  twenty: 20,
  thirty: 30,
  forty: 40,
  fifty: 50,
  sixty: 60,
  seventy: 70,
  eighty: 80,
  ninety: 90,
};
const SCALES: Record<string, number> = { thousand: 1e3, million: 1e6, billion: 1e9 };
const isNumberWord = (word: string | undefined): boolean =>
  word !== undefined && (word in UNITS || word in SCALES || word === 'hundred');

function wordNumbers(text: string): string[] {
  const words = text.toLowerCase().match(/\p{L}+/gu) ?? [];
  const found: string[] = [];
  let i = 0;
  while (i < words.length) {
    const startsWithA = words[i] === 'a' && (words[i + 1] === 'hundred' || words[i + 1] in SCALES);
    if (!startsWithA && !isNumberWord(words[i])) {
      i++;
      continue;
    }
    if (startsWithA) i++;
    let total = 0;
    let current = 0;
    while (i < words.length) {
      const word = words[i];
      if (word in UNITS) current += UNITS[word];
      else if (word === 'hundred') current = (current || 1) * 100;
      else if (word in SCALES) {
        total += (current || 1) * SCALES[word];
        current = 0;
      } else if (word === 'and' && isNumberWord(words[i + 1])) {
        // "one hundred and five"
      } else break;
      i++;
    }
    found.push(String(total + current));
  }
  return found;
}

function numbers(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(DIGIT_NUMBER)) {
    const at = match.index;
    const sign = text[at - 1];
    const negative = (sign === '-' || sign === '−') && (at < 2 || !SIGN_CONTEXT.test(text[at - 2]));
    found.push(canonicalNumber(negative, match[1] ?? '0', match[2] ?? match[3] ?? ''));
  }
  return [...found, ...wordNumbers(text)];
}

// ---------------------------------------------------------------- negation

const NEGATIONS = new Set([
  'not',
  'no',
  'never',
  'none',
  'nobody',
  'nothing',
  'nowhere',
  'neither',
  'nor',
  'without',
  'cannot',
  'dont',
  'doesnt',
  'didnt',
  'isnt',
  'arent',
  'wasnt',
  'werent',
  'havent',
  'hasnt',
  'hadnt',
  'cant',
  'couldnt',
  'wouldnt',
  'shouldnt',
  'wont',
  'mustnt',
  'aint',
]);

function negationCount(text: string): number {
  const words =
    text
      .toLowerCase()
      .replace(/[’‘]/gu, "'")
      .match(/[\p{L}']+/gu) ?? [];
  return words.filter((word) => NEGATIONS.has(word) || word.endsWith("n't")).length;
}

// ---------------------------------------------------------------- entities

const STOPWORDS = new Set(
  [
    // question words and auxiliaries
    'what whats who whom whose where when why how which whether is are am was were be been being do does',
    'did can could would should will shall may might must have has had',
    "don't doesn't didn't isn't aren't wasn't weren't can't cannot won't wouldn't shouldn't couldn't",
    "haven't hasn't",
    // pronouns and determiners
    "i i'm i'd i'll i've im you you're we they he she it me my your our their his her its this that",
    'these those there here the a an some any all every each no not none another other such',
    // conjunctions and prepositions
    'and or but so if then also because in on at for from to of with without by about as after before',
    'given suppose assuming imagine',
    // fillers, greetings, thanks
    'please pls plz kindly hey hi hello um umm uh uhh erm hmm just actually basically thanks thank thx',
    'ty ok okay well now yes yeah sure quick question dear',
    // request verbs
    'tell explain describe summarize summarise define list give show write translate compare name find',
    'calculate compute convert make create generate help let lets suggest recommend provide',
  ]
    .join(' ')
    .split(' '),
);

// eslint-disable-next-line security/detect-unsafe-regex -- linear: each repetition starts with a separator the first class excludes
const TOKEN = /[\p{L}\p{N}]+(?:[-_'’][\p{L}\p{N}]+)*/gu;
const SENTENCE_BREAK = /[.!?:;\n\r]/u;
const HAS_LETTER = /\p{L}/u;
const HAS_DIGIT = /\p{N}/u;
const UPPER_START = /^\p{Lu}/u;

function isShouted(text: string): boolean {
  const upper = (text.match(/\p{Lu}/gu) ?? []).length;
  const lower = (text.match(/\p{Ll}/gu) ?? []).length;
  return upper > 0.6 * (upper + lower);
}

interface WordToken {
  key: string;
  entity: boolean;
}

/** Every entity of `text` occurs, in any case, as a word of `other`. */
function entitiesCovered(text: string, other: string): boolean {
  const words = new Set(wordTokens(other).map((token) => token.key));
  return wordTokens(text).every((token) => !token.entity || words.has(token.key));
}

function wordTokens(text: string): WordToken[] {
  const shouted = isShouted(text);
  const found: WordToken[] = [];
  let previousEnd = 0;
  for (const match of text.matchAll(TOKEN)) {
    const gap = text.slice(previousEnd, match.index);
    const sentenceStart = previousEnd === 0 || SENTENCE_BREAK.test(gap);
    previousEnd = match.index + match[0].length;

    const token = match[0].replace(/’/gu, "'").replace(/'s$/iu, '');
    const key = token.toLowerCase();
    let entity: boolean;
    if (!HAS_LETTER.test(token)) entity = false;
    else if (HAS_DIGIT.test(token)) entity = true;
    else if (STOPWORDS.has(key) || isNumberWord(key)) entity = false;
    else entity = sentenceStart || (!shouted && UPPER_START.test(token));
    found.push({ key, entity });
  }
  return found;
}
