import { lookAlikeReason } from './look-alike.guard.js';

describe('lookAlikeReason', () => {
  it('accepts near-duplicates', () => {
    const base = 'What is the capital of France?';
    for (const variant of [
      'what is the capital of france',
      '  WHAT is the capital   of France ?? ',
      'Please, what is the capital of France? Thanks!',
      'Um, could you tell me what is the capital of France',
      'Hey, can you just tell me what is the capital of France? Thank you very much.',
    ]) {
      expect(lookAlikeReason(variant, base)).toBeUndefined();
      expect(lookAlikeReason(base, variant)).toBeUndefined();
    }
  });

  it('ignores sentence-initial capitalisation and the pronoun I', () => {
    expect(lookAlikeReason('paris is in which country?', 'Paris is in which country?')).toBeUndefined();
    expect(lookAlikeReason('how do I sort a list?', 'How do i sort a list?')).toBeUndefined();
    expect(lookAlikeReason("I'm lost. Where is Paris?", "i'm lost. where is Paris?")).toBeUndefined();
    expect(lookAlikeReason('Is Paris in France?', 'Paris is in France?')).toBeUndefined();
  });

  describe('numbers', () => {
    it('detects different numbers', () => {
      expect(lookAlikeReason('What is 2+2?', 'What is 2+3?')).toBe('numbers');
      expect(lookAlikeReason('What happened in 2024?', 'What happened in 2025?')).toBe('numbers');
      expect(lookAlikeReason('Convert 3.5 km', 'Convert -3.5 km')).toBe('numbers');
      expect(lookAlikeReason('What is 5% of 200?', 'What is 5% of 300?')).toBe('numbers');
      expect(lookAlikeReason('What is 2+2?', 'What is 2+2+2?')).toBe('numbers');
      expect(lookAlikeReason('Give me three ideas', 'Give me four ideas')).toBe('numbers');
      expect(lookAlikeReason('Give me three ideas', 'Give me 4 ideas')).toBe('numbers');
    });

    it('compares values, not spellings', () => {
      expect(lookAlikeReason('Is 1,000 big?', 'is 1000 big')).toBeUndefined();
      expect(lookAlikeReason('Split $3.50 two ways', 'split $3.5 two ways')).toBeUndefined();
      expect(lookAlikeReason('Give me three ideas', 'give me 3 ideas')).toBeUndefined();
      expect(lookAlikeReason('Count to twenty-one', 'count to 21')).toBeUndefined();
      expect(lookAlikeReason('Is a hundred a lot?', 'Is 100 a lot?')).toBeUndefined();
      expect(lookAlikeReason('two thousand five hundred and six steps', '2,506 steps')).toBeUndefined();
      expect(lookAlikeReason('What is 2+2?', 'What is 2 + 2')).toBeUndefined();
    });

    it('reports GPT-4 vs GPT-5 as numbers (checked before entities)', () => {
      expect(lookAlikeReason('Is GPT-4 good at math?', 'Is GPT-5 good at math?')).toBe('numbers');
      expect(lookAlikeReason('Is the iPhone15 waterproof?', 'Is the iPhone16 waterproof?')).toBe('numbers');
    });
  });

  describe('negation', () => {
    it('detects added, removed or extra negations', () => {
      expect(lookAlikeReason('Is Paris in France?', 'Is Paris not in France?')).toBe('negation');
      expect(lookAlikeReason('Why do cats swim?', "Why don't cats swim?")).toBe('negation');
      expect(lookAlikeReason('Why do cats swim?', 'Why don’t cats swim?')).toBe('negation');
      expect(lookAlikeReason('I can swim', 'I cannot swim')).toBe('negation');
      expect(lookAlikeReason('Coffee with sugar', 'Coffee without sugar')).toBe('negation');
      expect(lookAlikeReason('Why is it not red?', 'Why is it not not red?')).toBe('negation');
    });

    it('accepts equal negation counts', () => {
      expect(lookAlikeReason("Why can't cats swim?", 'Why cannot cats swim')).toBeUndefined();
    });
  });

  describe('quoted', () => {
    it('detects different quoted strings, case-sensitively', () => {
      expect(lookAlikeReason("Translate 'good morning'", "Translate 'good night'")).toBe('quoted');
      expect(lookAlikeReason('Translate "good morning"', 'Translate "Good morning"')).toBe('quoted');
      expect(lookAlikeReason('What does `ls` do?', 'What does `ls -la` do?')).toBe('quoted');
      expect(lookAlikeReason('Translate “good morning”', 'Translate good morning')).toBe('quoted');
    });

    it('ignores quote style', () => {
      expect(lookAlikeReason("Translate 'good morning'", 'translate “good morning”')).toBeUndefined();
    });
  });

  describe('entities', () => {
    it('detects different named entities', () => {
      expect(lookAlikeReason('What is the capital of France?', 'What is the capital of Spain?')).toBe(
        'entities',
      );
      expect(lookAlikeReason('How do I sort a list in Python?', 'How do I sort a list in Java?')).toBe(
        'entities',
      );
      expect(lookAlikeReason('How big is the USA?', 'How big is the UK?')).toBe('entities');
      expect(lookAlikeReason('Paris is in which country?', 'Rome is in which country?')).toBe('entities');
      expect(lookAlikeReason('Is the iPhone good?', 'Is the Pixel good?')).toBe('entities');
    });

    it('compares case-insensitively and ignores possessives', () => {
      expect(lookAlikeReason('How old is python?', 'How old is Python')).toBeUndefined();
      expect(lookAlikeReason('How old is python?', 'How old is Java')).toBe('entities');
      expect(lookAlikeReason('How old is PYTHON?', 'How old is Python')).toBeUndefined();
      expect(lookAlikeReason("What is France's capital?", 'What is the capital of France?')).toBeUndefined();
    });

    it('does not treat shouted text as all acronyms', () => {
      expect(
        lookAlikeReason('WHAT IS THE CAPITAL OF NORWAY', 'what is the capital of Norway?'),
      ).toBeUndefined();
      expect(lookAlikeReason('WHAT IS THE CAPITAL OF NORWAY', 'what is the capital of Sweden?')).toBe(
        'entities',
      );
      expect(lookAlikeReason('WHY IS THE SKY BLUE?', 'why is the sky blue')).toBeUndefined();
    });
  });

  it('checks numbers, then negation, then quoted, then entities', () => {
    expect(lookAlikeReason("Is 'x' in France 2?", "Isn't 'y' in Spain 3?")).toBe('numbers');
    expect(lookAlikeReason("Is 'x' in France?", "Isn't 'y' in Spain?")).toBe('negation');
    expect(lookAlikeReason("Is 'x' in France?", "Is 'y' in Spain?")).toBe('quoted');
  });
});
