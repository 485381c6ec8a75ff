import { GatewayError } from '../../common/errors/gateway-error.js';
import { extractDocument } from './extract.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('extractDocument (plain text and shared rules)', () => {
  it('reads plain text as one cleaned section without headings or title', async () => {
    const doc = await extractDocument(
      utf8('\uFEFFFirst  line\r\nsecond\tline\n\n\n\nNext paragraph.  '),
      'text/plain',
    );
    expect(doc).toEqual({
      type: 'text/plain',
      sections: [{ headingPath: [], text: 'First line\nsecond line\n\nNext paragraph.' }],
    });
    expect(doc).not.toHaveProperty('title');
  });

  it('does not read "# lines" in plain text as headings', async () => {
    const doc = await extractDocument(utf8('# not a heading\nbody'), 'text/plain');
    expect(doc.sections).toEqual([{ headingPath: [], text: '# not a heading\nbody' }]);
  });

  it('keeps non-Latin text', async () => {
    const doc = await extractDocument(utf8('東京は日本の首都です。\nМосква — столица России.'), 'text/plain');
    expect(doc.sections[0].text).toBe('東京は日本の首都です。\nМосква — столица России.');
  });

  it.each(['text/plain', 'text/markdown', 'text/html'] as const)(
    'refuses invalid UTF-8 as %s',
    async (type) => {
      const bytes = new Uint8Array([0x68, 0x69, 0x20, 0xc3, 0x28, 0xff]);
      await expect(extractDocument(bytes, type)).rejects.toMatchObject({
        code: 'invalid_request_error',
        message: 'the document is not valid UTF-8 text',
      });
    },
  );

  it.each([
    ['text/plain', ' \n\u200B\t\n '],
    ['text/markdown', '---\n\n***\n\n[ref]: https://x.y\n'],
    ['text/html', '<html><head><title>Only a title</title><script>x()</script></head><body> </body></html>'],
  ] as const)('refuses %s with no text after cleaning', async (type, content) => {
    const promise = extractDocument(utf8(content), type);
    await expect(promise).rejects.toBeInstanceOf(GatewayError);
    await expect(promise).rejects.toMatchObject({
      code: 'invalid_request_error',
      message: expect.stringContaining('no text'),
    });
  });
});
