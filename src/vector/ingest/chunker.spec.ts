import { countTokens as cl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { GatewayError } from '../../common/errors/gateway-error.js';
import { chunkDocument } from './chunker.js';
import type { Chunk, ChunkingOptions, ExtractedDocument, TextSection } from './ingest.types.js';

const words = (text: string): number => text.split(/\s+/).filter((w) => w !== '').length;
// One token per non-space code point: a stand-in for CJK tokenization.
const codePoints = (text: string): number => [...text.replace(/\s/g, '')].length;

const doc = (...sections: TextSection[]): ExtractedDocument => ({ type: 'text/plain', sections });
const options = (chunkTokens: number, overlapTokens: number, countTokens = words): ChunkingOptions => ({
  chunkTokens,
  overlapTokens,
  countTokens,
});

/** Deterministic prose: sentences of 3–17 words, paragraphs of 1–6 sentences. */
function prose(sentenceCount: number, seed = 1): string {
  let state = seed;
  const next = (n: number): number => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state % n;
  };
  const paragraphs: string[] = [];
  let sentences: string[] = [];
  for (let i = 0; i < sentenceCount; i++) {
    const length = 3 + next(15);
    const body = Array.from({ length }, (_, w) => `w${i}x${w}`).join(' ');
    sentences.push(`S${i} ${body}${'.!?'[next(3)]}`);
    if (next(4) === 0) {
      paragraphs.push(sentences.join(' '));
      sentences = [];
    }
  }
  if (sentences.length > 0) paragraphs.push(sentences.join(' '));
  return paragraphs.join('\n\n');
}

/** The longest suffix of `a` that is also a prefix of `b`, cut at a space or line break in both. */
function overlapOf(a: string, b: string): string {
  for (let i = 0; i < a.length; i++) {
    const suffix = a.slice(i);
    if (
      (i === 0 || /\s/.test(a[i - 1])) &&
      b.startsWith(suffix) &&
      (b.length === suffix.length || /\s/.test(b[suffix.length]))
    ) {
      return suffix;
    }
  }
  return '';
}

const hasLoneSurrogate = (text: string): boolean =>
  /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);

describe('chunkDocument', () => {
  it('keeps a short section in one chunk with its heading path', () => {
    const chunks = chunkDocument(
      doc({ headingPath: ['Guide', 'Intro'], text: 'One sentence. Two sentences.' }),
      options(50, 10),
    );
    expect(chunks).toEqual<Chunk[]>([
      { position: 0, text: 'One sentence. Two sentences.', tokenCount: 4, headingPath: ['Guide', 'Intro'] },
    ]);
  });

  it('returns no chunks for a document without sections', () => {
    expect(chunkDocument(doc(), options(10, 2))).toEqual([]);
  });

  it('never exceeds chunkTokens and reports tokenCount as a count of the final text', () => {
    const text = prose(2000);
    const counted: string[] = [];
    const spy = (t: string): number => {
      counted.push(t);
      return words(t);
    };
    const chunks = chunkDocument(doc({ headingPath: [], text }), options(100, 20, spy));
    expect(chunks.length).toBeGreaterThan(100);
    for (const chunk of chunks) {
      expect(chunk.tokenCount).toBeLessThanOrEqual(100);
      expect(chunk.tokenCount).toBe(words(chunk.text));
    }
    const countedTexts = new Set(counted);
    expect(chunks.every((c) => countedTexts.has(c.text))).toBe(true);
  });

  it('fills chunks close to the limit rather than leaving them small', () => {
    const chunks = chunkDocument(doc({ headingPath: [], text: prose(2000) }), options(100, 20));
    const average = chunks.reduce((sum, c) => sum + c.tokenCount, 0) / chunks.length;
    expect(average).toBeGreaterThan(75);
  });

  it('never mixes sections: a heading starts a new chunk', () => {
    const sections: TextSection[] = [
      { headingPath: ['A'], text: prose(30, 1) },
      { headingPath: ['A', 'B'], text: 'Tiny section.' },
      { headingPath: ['C'], text: prose(30, 2) },
    ];
    const chunks = chunkDocument(doc(...sections), options(40, 10));
    const bySection = sections.map((s) =>
      chunks.filter((c) => c.headingPath.join('/') === s.headingPath.join('/')),
    );
    expect(bySection.map((list) => list.length).reduce((a, b) => a + b)).toBe(chunks.length);
    sections.forEach((section, i) => {
      expect(bySection[i].length).toBeGreaterThan(0);
      for (const chunk of bySection[i]) expect(section.text).toContain(chunk.text);
      expect(section.text.startsWith(bySection[i][0].text)).toBe(true);
      expect(section.text.endsWith(bySection[i][bySection[i].length - 1].text)).toBe(true);
    });
    expect(bySection[1]).toEqual([
      { position: expect.any(Number), text: 'Tiny section.', tokenCount: 2, headingPath: ['A', 'B'] },
    ]);
  });

  it('numbers positions 0, 1, 2… across the whole document', () => {
    const chunks = chunkDocument(
      doc({ headingPath: ['A'], text: prose(50, 3) }, { headingPath: ['B'], text: prose(50, 4) }),
      options(30, 5),
    );
    expect(chunks.map((c) => c.position)).toEqual(chunks.map((_, i) => i));
  });

  it('starts each later chunk with the last whole sentences of the previous one, within overlapTokens', () => {
    const text = Array.from({ length: 12 }, (_, i) => `Sentence number ${i} has six words.`).join(' ');
    const chunks = chunkDocument(doc({ headingPath: [], text }), options(20, 13));
    expect(chunks.map((c) => c.text)).toEqual([
      'Sentence number 0 has six words. Sentence number 1 has six words. Sentence number 2 has six words.',
      'Sentence number 1 has six words. Sentence number 2 has six words. Sentence number 3 has six words.',
      'Sentence number 2 has six words. Sentence number 3 has six words. Sentence number 4 has six words.',
      ...Array.from({ length: 7 }, (_, k) =>
        [k + 3, k + 4, k + 5].map((i) => `Sentence number ${i} has six words.`).join(' '),
      ),
    ]);
  });

  it('keeps every overlap a suffix of the previous chunk, never over overlapTokens nor the whole chunk', () => {
    const text = prose(600, 7);
    const chunks = chunkDocument(doc({ headingPath: [], text }), options(60, 15));
    let withOverlap = 0;
    for (let i = 1; i < chunks.length; i++) {
      const overlap = overlapOf(chunks[i - 1].text, chunks[i].text);
      if (overlap !== '') withOverlap++;
      expect(words(overlap)).toBeLessThanOrEqual(15);
      expect(overlap).not.toBe(chunks[i - 1].text);
      // Whole sentences: the overlap starts with a sentence's "S<n>" marker.
      if (overlap !== '') expect(overlap).toMatch(/^S\d+ /);
    }
    // Sentences here run to 18 tokens, so a chunk ending in one longer than 15 has no overlap to give.
    expect(withOverlap).toBeGreaterThan(chunks.length * 0.6);
  });

  it('without overlap, chunks partition the text', () => {
    const text = prose(500, 9);
    const chunks = chunkDocument(doc({ headingPath: [], text }), options(50, 0));
    expect(
      chunks
        .map((c) => c.text)
        .join(' ')
        .replace(/\s+/g, ' '),
    ).toBe(text.replace(/\s+/g, ' '));
  });

  it('splits a sentence longer than a chunk between words, keeping every word in order', () => {
    const sentence = Array.from({ length: 250 }, (_, i) => `word${i}`).join(' ') + '.';
    const chunks = chunkDocument(
      doc({ headingPath: [], text: `Short start. ${sentence} Short end.` }),
      options(50, 0),
    );
    for (const chunk of chunks) expect(chunk.tokenCount).toBeLessThanOrEqual(50);
    expect(chunks.length).toBeGreaterThanOrEqual(6);
    expect(chunks.map((c) => c.text).join(' ')).toBe(`Short start. ${sentence} Short end.`);
  });

  it('splits a single word longer than a chunk between characters', () => {
    const blob = 'QUJD'.repeat(1000); // 4000 characters, no spaces
    const quarter = (t: string): number => Math.ceil(t.replace(/\s/g, '').length / 4);
    const chunks = chunkDocument(
      doc({ headingPath: [], text: `Before. ${blob} After.` }),
      options(10, 2, quarter),
    );
    for (const chunk of chunks) expect(chunk.tokenCount).toBeLessThanOrEqual(10);
    const pieces = chunks.map((c) => c.text).filter((t) => t.startsWith('QUJD'));
    expect(pieces.join('').startsWith(blob)).toBe(true);
  });

  it('cuts between characters without splitting a surrogate pair', () => {
    const emoji = '😀🎉👍🏽🚀'.repeat(50);
    const chunks = chunkDocument(doc({ headingPath: [], text: emoji }), options(7, 0, codePoints));
    expect(chunks.length).toBeGreaterThan(20);
    for (const chunk of chunks) {
      expect(hasLoneSurrogate(chunk.text)).toBe(false);
      expect(chunk.tokenCount).toBeLessThanOrEqual(7);
    }
    expect(chunks.map((c) => c.text).join('')).toBe(emoji);
  });

  it('chunks CJK text at 。！？ with overlap', () => {
    const sentences = Array.from({ length: 40 }, (_, i) => `这是第${i}个句子${i % 3 === 0 ? '！' : '。'}`);
    const text = sentences.join('');
    const chunks = chunkDocument(doc({ headingPath: ['中文'], text }), options(40, 10, codePoints));
    expect(chunks.length).toBeGreaterThan(5);
    for (const chunk of chunks) {
      expect(chunk.tokenCount).toBeLessThanOrEqual(40);
      expect(chunk.text).toMatch(/^这是第\d+个句子/);
      expect(chunk.text).toMatch(/[。！]$/);
    }
    for (let i = 1; i < chunks.length; i++) {
      const lastOfPrevious = /这是第\d+个句子[。！]$/.exec(chunks[i - 1].text)?.[0] ?? '';
      expect(chunks[i].text.startsWith(lastOfPrevious)).toBe(true);
    }
  });

  it('splits unpunctuated CJK text between characters', () => {
    const text = '汉字'.repeat(500);
    const chunks = chunkDocument(doc({ headingPath: [], text }), options(64, 0, codePoints));
    expect(chunks.map((c) => c.tokenCount)).toEqual([...Array(15).fill(64), 1000 - 15 * 64]);
    expect(chunks.map((c) => c.text).join('')).toBe(text);
  });

  it('stays within a few tokens of chunkTokens with a BPE tokenizer', () => {
    const chunks = chunkDocument(doc({ headingPath: [], text: prose(1500, 5) }), options(128, 24, cl100k));
    for (const chunk of chunks) {
      expect(chunk.tokenCount).toBe(cl100k(chunk.text));
      expect(chunk.tokenCount).toBeLessThanOrEqual(128 + 3);
    }
  });

  it('counts the line breaks between short lines, which BPE tokenizers count too', () => {
    const list = Array.from({ length: 400 }, (_, i) => `- item ${i}`).join('\n');
    const text = `${list}\n\n${Array.from({ length: 100 }, (_, i) => `Para ${i}.`).join('\n\n')}`;
    const chunks = chunkDocument(doc({ headingPath: [], text }), options(64, 8, cl100k));
    for (const chunk of chunks) expect(chunk.tokenCount).toBeLessThanOrEqual(64 + 3);
  });

  it.each([
    [{ chunkTokens: 0, overlapTokens: 0 }, 'chunkTokens'],
    [{ chunkTokens: 1.5, overlapTokens: 0 }, 'chunkTokens'],
    [{ chunkTokens: 100, overlapTokens: 100 }, 'overlapTokens'],
    [{ chunkTokens: 100, overlapTokens: -1 }, 'overlapTokens'],
  ])('refuses options %j', (opts, param) => {
    const call = (): Chunk[] =>
      chunkDocument(doc({ headingPath: [], text: 'x' }), { ...opts, countTokens: words });
    expect(call).toThrow(GatewayError);
    try {
      call();
    } catch (error) {
      expect(error).toMatchObject({ code: 'invalid_request_error', param });
    }
  });

  describe('on 1 MB of text', () => {
    const megabyte = (): string => {
      let text = prose(12_000, 11);
      while (text.length < 1_000_000) text += `\n\n${prose(2_000, text.length)}`;
      return text;
    };

    it('counts each character a bounded number of times and finishes fast', () => {
      const text = megabyte();
      let countedChars = 0;
      const counting = (t: string): number => {
        countedChars += t.length;
        return words(t);
      };
      const started = performance.now();
      const chunks = chunkDocument(doc({ headingPath: [], text }), options(512, 64, counting));
      const elapsed = performance.now() - started;
      expect(chunks.length).toBeGreaterThan(250);
      // Sentences once, chunk texts once more, overlaps a little: linear, not quadratic.
      expect(countedChars).toBeLessThan(text.length * 2.5);
      expect(elapsed).toBeLessThan(3000);
    });

    it('handles 1 MB without spaces or punctuation (character splitting) fast', () => {
      const text = 'abcdefgh'.repeat(131_072);
      const quarter = (t: string): number => Math.ceil(t.length / 4);
      const started = performance.now();
      const chunks = chunkDocument(doc({ headingPath: [], text }), options(512, 0, quarter));
      expect(performance.now() - started).toBeLessThan(3000);
      expect(chunks.every((c) => c.tokenCount <= 512)).toBe(true);
      expect(chunks.map((c) => c.text).join('')).toBe(text);
    });
  });
});
