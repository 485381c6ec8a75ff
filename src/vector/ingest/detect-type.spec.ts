import { GatewayError } from '../../common/errors/gateway-error.js';
import { buildPdf } from '../../../test/support/pdf-fixture.js';
import { detectDocumentType, type DocumentTypeInput } from './detect-type.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const PDF = buildPdf([['Hello PDF world']]);
const PNG = new Uint8Array([
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52,
]);
// A .docx is a ZIP archive: "PK\x03\x04" then binary headers.
const ZIP = new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0x06, 0, 0x08, 0, 0, 0, 0x21, 0]);

function errorOf(input: DocumentTypeInput): GatewayError {
  try {
    detectDocumentType(input);
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('expected detectDocumentType to throw');
}

describe('detectDocumentType', () => {
  describe('by declared MIME type', () => {
    it.each([
      ['text/plain', 'text/plain'],
      ['text/plain; charset=utf-8', 'text/plain'],
      ['TEXT/MARKDOWN', 'text/markdown'],
      ['text/x-markdown', 'text/markdown'],
      ['text/html;charset=UTF-8', 'text/html'],
      ['application/xhtml+xml', 'text/html'],
    ])('%s → %s', (mime, expected) => {
      expect(detectDocumentType({ mime, bytes: text('# hello\n\n<p>world</p>') })).toBe(expected);
    });

    it('reads application/pdf', () => {
      expect(detectDocumentType({ mime: 'application/pdf', bytes: PDF })).toBe('application/pdf');
    });

    it('prefers a .md or .html extension over a generic text/plain label', () => {
      expect(detectDocumentType({ mime: 'text/plain', filename: 'guide.md', bytes: text('# Guide') })).toBe(
        'text/markdown',
      );
      expect(detectDocumentType({ mime: 'text/plain', filename: 'page.HTM', bytes: text('<p>x</p>') })).toBe(
        'text/html',
      );
    });

    it('keeps a specific MIME type over a conflicting extension', () => {
      expect(detectDocumentType({ mime: 'text/markdown', filename: 'notes.txt', bytes: text('x') })).toBe(
        'text/markdown',
      );
    });
  });

  describe('by file extension when the MIME type says nothing', () => {
    it.each([
      ['notes.txt', 'text/plain'],
      ['README.md', 'text/markdown'],
      ['doc.markdown', 'text/markdown'],
      ['index.html', 'text/html'],
      ['old.HTM', 'text/html'],
      ['dir/sub.dir/file.md', 'text/markdown'],
    ])('%s → %s', (filename, expected) => {
      expect(detectDocumentType({ filename, mime: 'application/octet-stream', bytes: text('hello') })).toBe(
        expected,
      );
      expect(detectDocumentType({ filename, bytes: text('hello') })).toBe(expected);
    });

    it('reads .pdf (the content is a PDF)', () => {
      expect(detectDocumentType({ filename: 'paper.pdf', bytes: PDF })).toBe('application/pdf');
    });
  });

  describe('by content', () => {
    it('recognises a PDF by its %PDF- header with nothing declared', () => {
      expect(detectDocumentType({ bytes: PDF })).toBe('application/pdf');
    });

    it('treats a PDF mislabelled as text (by MIME or extension) as a PDF', () => {
      expect(detectDocumentType({ mime: 'text/plain', filename: 'x.txt', bytes: PDF })).toBe(
        'application/pdf',
      );
      expect(detectDocumentType({ mime: 'text/markdown', bytes: PDF })).toBe('application/pdf');
    });

    it('sniffs undeclared UTF-8 text as plain text and an HTML document as HTML', () => {
      expect(detectDocumentType({ bytes: text('Just some words, ünïcödé.') })).toBe('text/plain');
      expect(detectDocumentType({ bytes: text('  <!DOCTYPE html><html><p>x</p></html>') })).toBe('text/html');
    });

    it('accepts text whose multi-byte character straddles the 1 KB sniff boundary', () => {
      const bytes = text(`${'a'.repeat(1023)}é and more`);
      expect(detectDocumentType({ mime: 'text/plain', bytes })).toBe('text/plain');
    });
  });

  describe('refusals', () => {
    it('refuses binary data declared as text (NUL bytes) with 415', () => {
      const error = errorOf({ mime: 'text/plain', filename: 'a.txt', bytes: PNG });
      expect(error.code).toBe('unsupported_media_type');
      expect(error.status).toBe(415);
      expect(error.message).toContain('text/plain');
    });

    it('refuses invalid UTF-8 declared as Markdown', () => {
      const latin1 = new Uint8Array([0x23, 0x20, 0x43, 0x61, 0x66, 0xe9, 0x20, 0x6e, 0x6f, 0x69, 0x72]); // "# Café noir"
      expect(errorOf({ filename: 'a.md', bytes: latin1 }).code).toBe('unsupported_media_type');
    });

    it.each<[string, DocumentTypeInput, string]>([
      ['.docx by extension', { filename: 'report.docx', bytes: ZIP }, '.docx'],
      [
        '.docx by MIME',
        { mime: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', bytes: ZIP },
        'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      ],
      ['image/png', { mime: 'image/png', filename: 'photo.png', bytes: PNG }, 'image/png'],
      ['application/zip', { mime: 'application/zip', bytes: ZIP }, 'application/zip'],
      ['text/csv', { mime: 'text/csv', bytes: text('a,b\n1,2') }, 'text/csv'],
      ['undeclared binary', { bytes: PNG }, 'binary content'],
    ])('refuses %s with 415 naming it and the supported types', (_name, input, named) => {
      const error = errorOf(input);
      expect(error.code).toBe('unsupported_media_type');
      expect(error.status).toBe(415);
      expect(error.message).toContain(named);
      for (const supported of ['text/plain', 'text/markdown', 'text/html', 'application/pdf']) {
        expect(error.message).toContain(supported);
      }
    });

    it('refuses an empty document with 400', () => {
      const error = errorOf({ mime: 'text/plain', filename: 'a.txt', bytes: new Uint8Array() });
      expect(error.code).toBe('invalid_request_error');
      expect(error.status).toBe(400);
      expect(error.message).toBe('empty document');
    });
  });
});
