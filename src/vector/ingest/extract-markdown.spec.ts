import { extractDocument } from './extract.js';
import { parseMarkdown } from './extract-markdown.js';
import type { ExtractedDocument } from './ingest.types.js';

const markdown = (text: string): Promise<ExtractedDocument> =>
  extractDocument(new TextEncoder().encode(text), 'text/markdown');

describe('Markdown extraction', () => {
  it('splits sections at ATX headings with heading paths three levels deep', async () => {
    const doc = await markdown(
      [
        'Preamble text.',
        '# Guide',
        'Guide intro.',
        '## Install',
        'Install text.',
        '### Linux',
        'Linux text.',
        '### macOS ###',
        'Mac text.',
        '## Usage',
        'Usage text.',
        '# Appendix',
        'The end.',
      ].join('\n'),
    );
    expect(doc.title).toBe('Guide');
    expect(doc.sections).toEqual([
      { headingPath: [], text: 'Preamble text.' },
      { headingPath: ['Guide'], text: 'Guide intro.' },
      { headingPath: ['Guide', 'Install'], text: 'Install text.' },
      { headingPath: ['Guide', 'Install', 'Linux'], text: 'Linux text.' },
      { headingPath: ['Guide', 'Install', 'macOS'], text: 'Mac text.' },
      { headingPath: ['Guide', 'Usage'], text: 'Usage text.' },
      { headingPath: ['Appendix'], text: 'The end.' },
    ]);
  });

  it('does not repeat the heading line in the section text', async () => {
    const doc = await markdown('# Title\n\nBody.');
    expect(doc.sections).toEqual([{ headingPath: ['Title'], text: 'Body.' }]);
  });

  it('reads setext headings (=== level 1, --- level 2), including multi-line ones', async () => {
    const doc = await markdown(
      ['Intro.', '', 'Main Title', '==========', 'Body one.', '', 'Sub', 'title', '---', 'Body two.'].join(
        '\n',
      ),
    );
    expect(doc.title).toBe('Main Title');
    expect(doc.sections).toEqual([
      { headingPath: [], text: 'Intro.' },
      { headingPath: ['Main Title'], text: 'Body one.' },
      { headingPath: ['Main Title', 'Sub title'], text: 'Body two.' },
    ]);
  });

  it('takes --- after a blank line or a list item as a thematic break, not a heading', async () => {
    const doc = await markdown('Para.\n\n---\n\n- item\n---\nAfter.');
    expect(doc.sections).toEqual([{ headingPath: [], text: 'Para.\n\n- item\n\nAfter.' }]);
  });

  it('requires a space after the hashes and at most three spaces of indentation', async () => {
    const doc = await markdown('#hashtag and #5\n    # indented code\nC# is a language');
    expect(doc.sections).toHaveLength(1);
    expect(doc.sections[0].headingPath).toEqual([]);
    expect(doc.sections[0].text).toContain('#hashtag and #5');
    expect(doc.sections[0].text).toContain('# indented code');
  });

  it('keeps fenced code line for line and ignores # and === inside it', async () => {
    const doc = await markdown(
      [
        '# Build',
        '```bash',
        '# install deps',
        'npm install',
        'Heading?',
        '===',
        '```',
        'After *the* fence.',
      ].join('\n'),
    );
    expect(doc.sections).toEqual([
      {
        headingPath: ['Build'],
        text: '```bash\n# install deps\nnpm install\nHeading?\n===\n```\nAfter the fence.',
      },
    ]);
  });

  it('closes a fence only with the same character, at least as long', async () => {
    const doc = await markdown(
      ['~~~~', '```', '# still code', '~~~', '~~~~', '# Real heading', 'x'].join('\n'),
    );
    expect(doc.sections[0].text).toContain('# still code');
    expect(doc.sections[0].headingPath).toEqual([]);
    expect(doc.sections[1]).toEqual({ headingPath: ['Real heading'], text: 'x' });
  });

  it('reduces links, images and emphasis to their text, in body and headings', async () => {
    const doc = await markdown(
      '# The [Gateway](https://x.y) *guide*\n\nSee [the docs](https://docs.example.com "Docs") and ' +
        '![a diagram](diagram.png) for **more** _details_.',
    );
    expect(doc.title).toBe('The Gateway guide');
    expect(doc.sections).toEqual([
      { headingPath: ['The Gateway guide'], text: 'See the docs and a diagram for more details.' },
    ]);
  });

  it('drops blockquote markers, link definitions and table delimiter rows', async () => {
    const doc = await markdown('> quoted\n> more\n\n| a | b |\n|---|:-:|\n| 1 | 2 |\n\n[docs]: https://x.y');
    expect(doc.sections[0].text).toBe('quoted\nmore\n\n| a | b |\n| 1 | 2 |');
  });

  it('skips YAML front matter', async () => {
    const doc = await markdown('---\ntitle: Hidden\ntags: [a]\n---\nBody.');
    expect(doc.sections).toEqual([{ headingPath: [], text: 'Body.' }]);
  });

  it('has no title without a level-1 heading', async () => {
    const doc = await markdown('## Only level two\ntext');
    expect(doc).not.toHaveProperty('title');
    expect(doc.sections[0].headingPath).toEqual(['Only level two']);
  });

  it('drops sections whose heading has no text of its own but keeps the heading in later paths', () => {
    const raw = parseMarkdown('# A\n## B\ntext');
    expect(raw.sections).toEqual([{ headingPath: ['A', 'B'], text: 'text' }]);
  });
});
