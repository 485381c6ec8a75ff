import { resolveModelInfo } from '../registry/model-info.js';
import { TokenCounter } from '../tokens/token-counter.js';
import {
  buildContextBlock,
  contextFingerprint,
  parseContextRequest,
  retrievalQuery,
} from './context-block.js';
import type { RetrievedChunk } from './context-retriever.port.js';

const counter = new TokenCounter();
const info = resolveModelInfo('openai', 'gpt-4o-mini');
const count = (text: string) => counter.countText(text, info.tokenizer);

/** The block's text (a context block's content is always a string). */
function textOf(block: Awaited<ReturnType<typeof buildContextBlock>>): string {
  const content = block?.message.content;
  return typeof content === 'string' ? content : '';
}

function chunk(
  id: string,
  text: string,
  source: string | null = 'doc.md',
  headingPath: string[] = [],
): RetrievedChunk {
  return {
    chunkId: id,
    documentId: `d-${id}`,
    source,
    text,
    score: 0.9,
    position: 0,
    headingPath,
    tokenCount: 0,
    metadata: null,
  };
}

describe('context block', () => {
  const a = chunk('a', 'Mount Etna is an active volcano on the east coast of Sicily.', 'volcano.txt', [
    'Italy',
    'Sicily',
  ]);
  const b = chunk('b', 'Sourdough rises with wild yeast. '.repeat(20), 'bakery.txt');
  const c = chunk('c', 'Short note.', null);

  it('numbers the sources with their file and headings, best first', async () => {
    const block = await buildContextBlock([a, c], 1000, count);
    expect(block?.used.map((u) => u.chunkId)).toEqual(['a', 'c']);
    const text = textOf(block);
    expect(text).toContain('[1] volcano.txt — Italy › Sicily\nMount Etna');
    expect(text).toContain('[2]\nShort note.');
    expect(block?.message.role).toBe('system');
  });

  it('stays within max_tokens, skipping a chunk that does not fit for a smaller later one', async () => {
    const header = await count(textOf(await buildContextBlock([c], 1000, count)).split('\n\n')[0] ?? '');
    const budget =
      header +
      (await count(`[1] volcano.txt — Italy › Sicily\n${a.text}`)) +
      2 +
      (await count('[2]\nShort note.')) +
      2;
    const block = await buildContextBlock([a, b, c], budget, count);
    expect(block?.used.map((u) => u.chunkId)).toEqual(['a', 'c']);
    expect(await count(textOf(block))).toBeLessThanOrEqual(budget);
    expect(await buildContextBlock([b], 20, count)).toBeUndefined();
  });

  it('fingerprints by chunk ids, in order', () => {
    expect(contextFingerprint([a, c])).toBe(contextFingerprint([a, c]));
    expect(contextFingerprint([a, c])).not.toBe(contextFingerprint([c, a]));
  });

  it('parses and bounds the request field', () => {
    expect(parseContextRequest({ collection: 'kb' })).toEqual({
      collection: 'kb',
      topK: 5,
      minScore: undefined,
      maxTokens: 2000,
      filter: undefined,
    });
    expect(() => parseContextRequest({ collection: 'kb', top_k: 51 })).toThrow(/context.top_k/);
    expect(() => parseContextRequest({ collection: 'kb', filter: [] })).toThrow(/context.filter/);
  });

  it('searches with the last user message', () => {
    expect(
      retrievalQuery([
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'x' },
        { role: 'user', content: [{ type: 'text', text: 'second' }] },
      ]),
    ).toBe('second');
    expect(() => retrievalQuery([{ role: 'system', content: 'x' }])).toThrow(/user message/);
  });
});
