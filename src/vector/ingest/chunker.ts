import { GatewayError } from '../../common/errors/gateway-error.js';
import type { Chunk, ChunkingOptions, ExtractedDocument } from './ingest.types.js';
import { splitSentences, type Span } from './sentence-splitter.js';

/** The smallest piece the packer moves: a sentence, or a line, word or slice of an oversized one. */
interface Unit extends Span {
  tokens: number;
}

/**
 * Cuts a document into chunks of at most `chunkTokens` tokens. Chunks never span two sections;
 * within one they hold whole sentences, and each chunk after the first repeats the last sentences
 * of the one before, up to `overlapTokens`. A sentence longer than a chunk is cut at line breaks,
 * then between words, and a word longer than a chunk between characters.
 *
 * Every sentence is counted once and chunks are filled by summing those counts, so the work is
 * linear in the document; `tokenCount` is a fresh count of the chunk's final text, which with a BPE
 * tokenizer may differ from the sum by a token or two at sentence joins.
 */
export function chunkDocument(doc: ExtractedDocument, opts: ChunkingOptions): Chunk[] {
  validate(opts);
  const chunks: Chunk[] = [];
  for (const section of doc.sections) {
    const units = unitsOf(section.text, opts);
    for (const span of pack(units, opts)) {
      const text = section.text.slice(span.start, span.end);
      chunks.push({
        position: chunks.length,
        text,
        tokenCount: opts.countTokens(text),
        headingPath: [...section.headingPath],
      });
    }
  }
  return chunks;
}

function validate({ chunkTokens, overlapTokens }: ChunkingOptions): void {
  if (!Number.isInteger(chunkTokens) || chunkTokens < 1) {
    throw new GatewayError('invalid_request_error', 'chunkTokens must be a positive integer', {
      param: 'chunkTokens',
    });
  }
  if (!Number.isInteger(overlapTokens) || overlapTokens < 0 || overlapTokens >= chunkTokens) {
    throw new GatewayError(
      'invalid_request_error',
      'overlapTokens must be an integer from 0 to chunkTokens - 1',
      {
        param: 'overlapTokens',
      },
    );
  }
}

// A sentence longer than a chunk is cut at line breaks, then between words, then between characters.
const SPLITTERS: readonly RegExp[] = [/[^\n]+/g, /\S+/g];

function unitsOf(text: string, opts: ChunkingOptions): Unit[] {
  const units: Unit[] = [];
  for (const sentence of splitSentences(text)) addUnit(text, sentence, 0, opts, units);
  return units;
}

function addUnit(text: string, span: Span, depth: number, opts: ChunkingOptions, units: Unit[]): void {
  // Counted with the separator before it: BPE tokenizers spend tokens on "\n\n" too, and leaving
  // them out made chunks of many short lines overshoot chunkTokens by a dozen tokens or more.
  const from = units.length > 0 ? units[units.length - 1].end : span.start;
  const tokens = opts.countTokens(text.slice(from, span.end));
  if (tokens <= opts.chunkTokens) {
    units.push({ ...span, tokens });
  } else if (depth < SPLITTERS.length) {
    for (const piece of pieces(text, span, SPLITTERS[depth])) addUnit(text, piece, depth + 1, opts, units);
  } else {
    splitCharacters(text, span, opts, units);
  }
}

// Finds, per slice, the longest prefix that fits by galloping then bisecting, so a huge "word"
// (a base64 blob, unspaced CJK) costs O(n log n) counting rather than O(n²).
function splitCharacters(text: string, span: Span, opts: ChunkingOptions, units: Unit[]): void {
  const fits = (start: number, length: number): boolean =>
    opts.countTokens(text.slice(start, start + length)) <= opts.chunkTokens;
  let start = span.start;
  while (start < span.end) {
    const remaining = span.end - start;
    let good = 0;
    let bad = Math.min(remaining, opts.chunkTokens);
    while (fits(start, bad)) {
      good = bad;
      if (bad === remaining) break;
      bad = Math.min(remaining, bad * 2);
    }
    while (bad - good > 1 && good < remaining) {
      const mid = (good + bad) >> 1;
      if (fits(start, mid)) good = mid;
      else bad = mid;
    }
    const end = start + codePointSafeLength(text, start, good);
    units.push({ start, end, tokens: opts.countTokens(text.slice(start, end)) });
    start = end;
  }
}

// Never cuts a surrogate pair in half; always advances by at least one code point, even when that
// one code point alone counts more than a chunk allows.
function codePointSafeLength(text: string, start: number, length: number): number {
  let n = length;
  if (n > 0 && isHighSurrogate(text.charCodeAt(start + n - 1))) n--;
  if (n === 0) n = isHighSurrogate(text.charCodeAt(start)) ? 2 : 1;
  return n;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function pieces(text: string, span: Span, pattern: RegExp): Span[] {
  const out: Span[] = [];
  const slice = text.slice(span.start, span.end);
  for (const match of slice.matchAll(pattern)) {
    out.push({ start: span.start + match.index, end: span.start + match.index + match[0].length });
  }
  return out;
}

function pack(units: readonly Unit[], opts: ChunkingOptions): Span[] {
  const spans: Span[] = [];
  let first = 0; // first unit of the chunk being filled, overlap included
  let fresh = 0; // first unit not yet in any chunk
  let sum = 0;
  for (let i = 0; i < units.length; i++) {
    if (i > fresh && sum + units[i].tokens > opts.chunkTokens) {
      spans.push({ start: units[first].start, end: units[i - 1].end });
      first = overlapStart(units, first, i, opts);
      fresh = i;
      sum = 0;
      for (let k = first; k < i; k++) sum += units[k].tokens;
    }
    sum += units[i].tokens;
  }
  if (units.length > fresh) spans.push({ start: units[first].start, end: units[units.length - 1].end });
  return spans;
}

/**
 * Walks back from the end of the previous chunk `[previousFirst, next)` while the repeated units
 * stay within `overlapTokens`, leave room for the unit that overflowed, and leave out at least the
 * previous chunk's first unit (so overlap never repeats a whole chunk).
 */
function overlapStart(
  units: readonly Unit[],
  previousFirst: number,
  next: number,
  opts: ChunkingOptions,
): number {
  const budget = Math.min(opts.overlapTokens, opts.chunkTokens - units[next].tokens);
  let start = next;
  let tokens = 0;
  while (start - 1 > previousFirst && tokens + units[start - 1].tokens <= budget) {
    start--;
    tokens += units[start].tokens;
  }
  return start;
}
