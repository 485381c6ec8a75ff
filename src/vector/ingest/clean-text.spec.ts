import { cleanText } from './clean-text.js';

describe('cleanText', () => {
  it('composes to NFC', () => {
    const decomposed = 'caf\u0065\u0301 \u0041\u030a';
    expect(cleanText(decomposed)).toBe('café Å');
    expect(cleanText(decomposed)).toHaveLength(6);
  });

  it('removes control characters but keeps newlines and turns tabs into spaces', () => {
    expect(cleanText('a\u0000b\u0007c\u001bd\u007fe\u009ff')).toBe('abcdef');
    expect(cleanText('one\ttwo\nthree')).toBe('one two\nthree');
  });

  it('turns vertical tab, form feed and NEL into line breaks so the words stay apart', () => {
    expect(cleanText('page one\fpage two\u000bthree\u0085four')).toBe('page one\npage two\nthree\nfour');
  });

  it('removes zero-width characters, the BOM and soft hyphens', () => {
    expect(cleanText('\uFEFFzero\u200Bwidth\u200Cnon\u200Djoiner hy\u00ADphen\u2060')).toBe(
      'zerowidthnonjoiner hyphen',
    );
  });

  it('normalises CRLF and lone CR to \\n', () => {
    expect(cleanText('a\r\nb\rc\nd')).toBe('a\nb\nc\nd');
    expect(cleanText('a\r\n\r\nb')).toBe('a\n\nb');
  });

  it('collapses runs of spaces, tabs and no-break spaces to one space', () => {
    expect(cleanText('a  \t  b\u00A0\u00A0c\u3000d\u2009e')).toBe('a b c d e');
  });

  it('trims spaces around each line', () => {
    expect(cleanText('  first   \n   second \t\nthird')).toBe('first\nsecond\nthird');
  });

  it('collapses three or more newlines (blank lines with spaces too) to one paragraph break', () => {
    expect(cleanText('a\n\n\nb\n\n\n\n\nc')).toBe('a\n\nb\n\nc');
    expect(cleanText('a\n  \n \t \n\nb')).toBe('a\n\nb');
    expect(cleanText('a\n\nb')).toBe('a\n\nb');
  });

  it('turns Unicode line and paragraph separators into \\n and a paragraph break', () => {
    expect(cleanText('a\u2028b\u2029c')).toBe('a\nb\n\nc');
  });

  it('trims the whole text', () => {
    expect(cleanText('\n\n  hello  \n\n')).toBe('hello');
    expect(cleanText(' \u200B\n\t ')).toBe('');
  });

  it('keeps non-Latin text intact', () => {
    const samples = [
      '日本語のテキスト。',
      'Привет, мир',
      'مرحبا بالعالم',
      'שלום עולם',
      'नमस्ते दुनिया',
      '한국어 텍스트',
      '😀 👍🏽',
    ];
    for (const sample of samples) expect(cleanText(sample)).toBe(sample.normalize('NFC'));
  });
});
