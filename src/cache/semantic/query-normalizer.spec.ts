import { normalizeQuestion, quotedStrings, splitQuoted } from './query-normalizer.js';

describe('normalizeQuestion', () => {
  it('maps near-duplicates (case, punctuation, whitespace, fillers) to one string', () => {
    const variants = [
      'What is the capital of France?',
      'what is the capital of france',
      '  WHAT is the capital   of France ?? ',
      'Please, what is the capital of France? Thanks!',
      'Um, could you tell me what is the capital of France',
      'Hey, can you just tell me what is the capital of France? Thank you very much.',
      'Hi there! I want to know: what is the capital of France?',
      'Ｗhat is the capital of France？', // full-width forms (NFKC)
      'What is the capital of France?\n\nThanks',
    ];
    for (const variant of variants) expect(normalizeQuestion(variant)).toBe('what is the capital of france');
  });

  it('keeps numbers, signs and decimal points intact', () => {
    expect(normalizeQuestion('Is -3.5 smaller than 1,000?')).toBe('is -3.5 smaller than 1,000');
    expect(normalizeQuestion('What is 2+2?')).toBe('what is 2+2');
    expect(normalizeQuestion('Meet at 10:30, ok? Cost: .5 USD.')).toBe('meet at 10:30 ok cost .5 usd');
    expect(normalizeQuestion('Compare GPT-4 and GPT-5.')).toBe('compare gpt-4 and gpt-5');
  });

  it('keeps contractions and curly apostrophes as straight ones', () => {
    expect(normalizeQuestion("Why don't cats swim?")).toBe("why don't cats swim");
    expect(normalizeQuestion('Why don’t cats swim?')).toBe("why don't cats swim");
  });

  it('keeps quoted content verbatim (lowercased) as one double-quoted unit', () => {
    expect(normalizeQuestion("Translate 'Good   morning, please!'")).toBe(
      'translate "good morning, please!"',
    );
    expect(normalizeQuestion('Translate “good morning” please.')).toBe('translate "good morning"');
    expect(normalizeQuestion('What does `just do it` mean?')).toBe('what does "just do it" mean');
  });

  it('drops request prefixes only at the start and thanks only at the end', () => {
    expect(normalizeQuestion('What would you do, thanks to the rain?')).toBe(
      'what would you do thanks to the rain',
    );
    expect(normalizeQuestion('Tell me a joke')).toBe('a joke');
    expect(normalizeQuestion('Why do people say hello?')).toBe('why do people say hello');
  });

  it('never normalises a question to nothing', () => {
    expect(normalizeQuestion('Thanks!')).toBe('thanks');
    expect(normalizeQuestion('Please.')).toBe('please');
    expect(normalizeQuestion('Hello!')).toBe('hello');
    expect(normalizeQuestion('   ')).toBe('');
  });
});

describe('quoted strings', () => {
  it('finds every quote style but not apostrophes', () => {
    expect(
      quotedStrings(`Say "hi", 'don't go', “yes”, ‘no’, «oui» and \`ls -la\` in the boys' room`),
    ).toEqual(['hi', "don't go", 'yes', 'no', 'oui', 'ls -la']);
    expect(quotedStrings("It's John's and the boys' toy")).toEqual([]);
  });

  it('splits text into segments in order', () => {
    expect(splitQuoted('a "b" c')).toEqual([
      { text: 'a ', quoted: false },
      { text: 'b', quoted: true },
      { text: ' c', quoted: false },
    ]);
  });
});
