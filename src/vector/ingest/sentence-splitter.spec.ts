import { splitSentences } from './sentence-splitter.js';

const sentences = (text: string): string[] => splitSentences(text).map((s) => text.slice(s.start, s.end));

describe('splitSentences', () => {
  it('splits on . ! ? and … followed by space, keeping the terminator', () => {
    expect(sentences('One. Two! Three? Four… Five')).toEqual(['One.', 'Two!', 'Three?', 'Four…', 'Five']);
  });

  it('keeps closing quotes and brackets with their sentence', () => {
    expect(sentences('He said "Stop." Then left. (Really!) Yes.')).toEqual([
      'He said "Stop."',
      'Then left.',
      '(Really!)',
      'Yes.',
    ]);
  });

  it('splits CJK sentences on 。！？ without spaces', () => {
    expect(sentences('我喜欢猫。你呢？太好了！最后一句')).toEqual([
      '我喜欢猫。',
      '你呢？',
      '太好了！',
      '最后一句',
    ]);
    expect(sentences('「こんにちは。」と言った。')).toEqual(['「こんにちは。」', 'と言った。']);
  });

  it('does not split after common abbreviations', () => {
    expect(sentences('Ask Dr. Smith and Mr. Jones. Use tools, e.g. Jest, i.e. a runner. Done.')).toEqual([
      'Ask Dr. Smith and Mr. Jones.',
      'Use tools, e.g. Jest, i.e. a runner.',
      'Done.',
    ]);
  });

  it('does not split inside decimals, before lower-case words, or after initials', () => {
    expect(
      sentences('Pi is 3.14 roughly. It costs approx. five. Wait... what? J. R. R. Tolkien wrote it.'),
    ).toEqual([
      'Pi is 3.14 roughly.',
      'It costs approx. five.',
      'Wait... what?',
      'J. R. R. Tolkien wrote it.',
    ]);
  });

  it('splits after a number that ends a sentence but not after a list number', () => {
    expect(sentences('It was 2020. Then\n1. First item\n2. Second item')).toEqual([
      'It was 2020.',
      'Then\n1. First item\n2. Second item',
    ]);
  });

  it('always ends a sentence at a blank line, and returns trimmed spans', () => {
    expect(sentences('  Heading line\n\nNo period here\n \nLast ')).toEqual([
      'Heading line',
      'No period here',
      'Last',
    ]);
  });

  it('returns nothing for blank text and covers every non-space character otherwise', () => {
    expect(splitSentences(' \n\n ')).toEqual([]);
    const text = 'A b. C d! E? 日本。語 f';
    expect(sentences(text).join('').replace(/\s/g, '')).toBe(text.replace(/\s/g, ''));
  });
});
