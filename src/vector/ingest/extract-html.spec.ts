import { extractDocument } from './extract.js';
import type { ExtractedDocument } from './ingest.types.js';

const html = (text: string): Promise<ExtractedDocument> =>
  extractDocument(new TextEncoder().encode(text), 'text/html');

const allText = (doc: ExtractedDocument): string => doc.sections.map((s) => s.text).join('\n');

describe('HTML extraction', () => {
  it('splits sections at nested headings with heading paths', async () => {
    const doc = await html(`
      <body>
        <p>Before any heading.</p>
        <h1>Guide</h1><p>Guide intro.</p>
        <section><h2>Install <small>(v2)</small></h2><p>Install text.</p>
          <h3>Linux</h3><div>Linux text.</div>
        </section>
        <h2>Usage</h2><p>Usage text.</p>
        <h1>Appendix</h1><p>The end.</p>
      </body>`);
    expect(doc.sections).toEqual([
      { headingPath: [], text: 'Before any heading.' },
      { headingPath: ['Guide'], text: 'Guide intro.' },
      { headingPath: ['Guide', 'Install (v2)'], text: 'Install text.' },
      { headingPath: ['Guide', 'Install (v2)', 'Linux'], text: 'Linux text.' },
      { headingPath: ['Guide', 'Usage'], text: 'Usage text.' },
      { headingPath: ['Appendix'], text: 'The end.' },
    ]);
  });

  it('removes script, style, noscript, template, svg and head content', async () => {
    const doc = await html(`<html><head><meta charset="utf-8"><style>p { color: red }</style>
      <script>var s = "<p>in script</p>";</script><link rel="x" href="y"></head>
      <body><p>Visible.</p><script>alert('x')</script><style>.a{}</style><noscript>Enable JS</noscript>
      <template><p>Template</p></template><svg><title>Icon</title><text>SVG text</text></svg><p>Also visible.</p></body></html>`);
    expect(allText(doc)).toBe('Visible.\n\nAlso visible.');
  });

  it('decodes entities', async () => {
    const doc = await html(
      '<p>Tom &amp; Jerry&nbsp;&nbsp;say &#39;hi&#39; &quot;there&quot; &lt;b&gt; &#x263A; &eacute;t&eacute;</p>',
    );
    expect(allText(doc)).toBe('Tom & Jerry say \'hi\' "there" <b> ☺ été');
  });

  it('takes the title from <title>, else from the first h1', async () => {
    const withTitle = await html(
      '<head><title> Page\n &amp; Title </title></head><body><h1>Heading</h1><p>x</p></body>',
    );
    expect(withTitle.title).toBe('Page & Title');
    expect(allText(withTitle)).not.toContain('Page');

    const withoutTitle = await html(
      '<body><h2>Second</h2><h1>First <em>one</em></h1><p>x</p><h1>Later</h1><p>y</p></body>',
    );
    expect(withoutTitle.title).toBe('First one');
  });

  it('does not take an SVG <title> as the page title', async () => {
    const doc = await html('<body><svg><title>Icon</title></svg><p>Text.</p></body>');
    expect(doc).not.toHaveProperty('title');
  });

  it('puts list items and table rows on separate lines, table cells joined with |', async () => {
    const doc = await html(`
      <ul>
        <li>first</li>
        <li>second <b>bold</b></li>
      </ul>
      <ol><li>one<li>two</ol>
      <table>
        <tr><th>Name</th><th>Value</th></tr>
        <tr><td><p>alpha</p></td><td>1</td></tr>
        <tr><td>beta</td><td></td></tr>
      </table>`);
    expect(allText(doc)).toBe('first\nsecond bold\n\none\ntwo\n\nName | Value\nalpha | 1\nbeta |');
  });

  it('turns <br> into a line break and blocks into paragraph breaks, inline elements into nothing', async () => {
    const doc = await html(
      '<div>line one<br>line two<br/>line three</div><p>Para with <a href="#">a link</a>' +
        '<span>and</span> <em>spans</em>.</p><blockquote>Quote</blockquote>',
    );
    expect(allText(doc)).toBe('line one\nline two\nline three\n\nPara with a linkand spans.\n\nQuote');
  });

  it('collapses source whitespace outside <pre> and keeps the lines of <pre>', async () => {
    const doc = await html('<p>wrapped\n   source\ttext</p><pre>line 1\nline 2\n\n\nline 5</pre>');
    expect(allText(doc)).toBe('wrapped source text\n\nline 1\nline 2\n\nline 5');
  });

  it('reads body text that follows head content without a <body> tag', async () => {
    const doc = await html('<html><head><title>T</title><p>Body text.</p>');
    expect(doc.title).toBe('T');
    expect(allText(doc)).toBe('Body text.');
  });

  it('keeps non-Latin text', async () => {
    const doc = await html('<h1>日本語</h1><p>これは段落です。</p><p>Ελληνικά κείμενο</p>');
    expect(doc.sections).toEqual([{ headingPath: ['日本語'], text: 'これは段落です。\n\nΕλληνικά κείμενο' }]);
  });
});
