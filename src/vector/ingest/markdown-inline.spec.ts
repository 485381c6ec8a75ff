import { stripInlineMarkdown } from './markdown-inline.js';

describe('stripInlineMarkdown', () => {
  it.each([
    ['a [link](https://example.com) here', 'a link here'],
    ['[title link](https://x.y "The title")', 'title link'],
    ['[wiki](https://en.wikipedia.org/wiki/Foo_(bar)) end', 'wiki end'],
    ['![alt text](img.png) and ![](empty.png)', 'alt text and '],
    ['[![badge](b.svg)](https://ci)', 'badge'],
    ['a [reference][ref] link', 'a reference link'],
    ['see <https://example.com/x>', 'see https://example.com/x'],
  ])('links and images: %j → %j', (input, expected) => {
    expect(stripInlineMarkdown(input)).toBe(expected);
  });

  it.each([
    ['*em* and _em_', 'em and em'],
    ['**strong** and __strong__', 'strong and strong'],
    ['***both*** and ___both___', 'both and both'],
    ['**bold *and italic***', 'bold and italic'],
    ['~~struck~~ out', 'struck out'],
  ])('emphasis: %j → %j', (input, expected) => {
    expect(stripInlineMarkdown(input)).toBe(expected);
  });

  it('leaves underscores inside words and lone stars alone', () => {
    expect(stripInlineMarkdown('snake_case_name and 2 * 3 = 6')).toBe('snake_case_name and 2 * 3 = 6');
  });

  it('keeps code spans verbatim, minus their backticks', () => {
    expect(stripInlineMarkdown('run `npm *install*` or ``a `tick` b``')).toBe(
      'run npm *install* or a `tick` b',
    );
  });

  it('resolves backslash escapes without taking them for syntax', () => {
    expect(stripInlineMarkdown('\\*not em\\* and \\[not a link\\](x)')).toBe('*not em* and [not a link](x)');
  });
});
