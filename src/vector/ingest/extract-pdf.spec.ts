import { GatewayError } from '../../common/errors/gateway-error.js';
import { buildPdf, pdfToLatin1 } from '../../../test/support/pdf-fixture.js';
import { extractDocument } from './extract.js';

async function rejectionOf(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('expected a GatewayError');
}

describe('PDF extraction', () => {
  it('builds fixtures whose xref offsets point at their objects', () => {
    const source = pdfToLatin1(buildPdf([['a'], ['b']], { title: 'T' }));
    const xrefAt = source.indexOf('\nxref\n') + 1;
    const xref = source.slice(xrefAt);
    const offsets = [...xref.matchAll(/^(\d{10}) 00000 n $/gm)].map((m) => Number(m[1]));
    expect(offsets).toHaveLength(8); // catalog, page tree, font, info, then a page and its content per page
    offsets.forEach((offset, i) => expect(source.startsWith(`${i + 1} 0 obj`, offset)).toBe(true));
    expect(Number(/startxref\n(\d+)/.exec(source)?.[1])).toBe(xrefAt);
  });

  it('extracts the text of a one-page PDF', async () => {
    const doc = await extractDocument(buildPdf([['Hello PDF world']]), 'application/pdf');
    expect(doc).toEqual({
      type: 'application/pdf',
      sections: [{ headingPath: [], text: 'Hello PDF world' }],
    });
  });

  it('keeps lines and joins pages with a paragraph break, in one section', async () => {
    const pdf = buildPdf([['First line (with parens).', 'Second line.'], ['Page two.'], ['Page three.']]);
    const doc = await extractDocument(pdf, 'application/pdf');
    expect(doc.sections).toEqual([
      { headingPath: [], text: 'First line (with parens).\nSecond line.\n\nPage two.\n\nPage three.' },
    ]);
  });

  it('takes the title from the document information dictionary', async () => {
    const doc = await extractDocument(buildPdf([['Body']], { title: 'Annual Report' }), 'application/pdf');
    expect(doc.title).toBe('Annual Report');
  });

  it("leaves the caller's bytes intact (pdf.js detaches the buffer it is given)", async () => {
    const pdf = buildPdf([['Hello']]);
    const copy = pdf.slice();
    await extractDocument(pdf, 'application/pdf');
    expect(pdf.byteLength).toBe(copy.byteLength);
    expect(Buffer.from(pdf).equals(Buffer.from(copy))).toBe(true);
  });

  it('refuses a truncated PDF', async () => {
    const pdf = buildPdf([['Hello PDF world', 'More text here.'], ['Second page.']]);
    const error = await rejectionOf(extractDocument(pdf.subarray(0, pdf.length >> 1), 'application/pdf'));
    expect(error.code).toBe('invalid_request_error');
    expect(error.message).toMatch(/^the PDF (could not be read: |has no extractable text)/);
  });

  it('refuses random bytes behind a %PDF- header', async () => {
    const noise = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251);
    const bytes = new Uint8Array([...new TextEncoder().encode('%PDF-1.7\n'), ...noise]);
    const error = await rejectionOf(extractDocument(bytes, 'application/pdf'));
    expect(error.code).toBe('invalid_request_error');
    expect(error.message).toMatch(/^the PDF could not be read: \S/);
  });

  it('refuses a PDF without extractable text', async () => {
    const error = await rejectionOf(extractDocument(buildPdf([[], []]), 'application/pdf'));
    expect(error.code).toBe('invalid_request_error');
    expect(error.message).toBe('the PDF has no extractable text (scanned images?)');
  });

  it('refuses a PDF over the page limit with 413 before reading pages', async () => {
    const pdf = buildPdf(Array.from({ length: 5 }, (_, i) => [`Page ${i + 1}`]));
    const error = await rejectionOf(extractDocument(pdf, 'application/pdf', { pdf: { maxPages: 4 } }));
    expect(error.code).toBe('request_too_large');
    expect(error.status).toBe(413);
    expect(error.message).toBe('the PDF has 5 pages; at most 4 are accepted');
    await expect(extractDocument(pdf, 'application/pdf', { pdf: { maxPages: 5 } })).resolves.toMatchObject({
      type: 'application/pdf',
    });
  });

  it('stops reading a PDF that takes longer than its time limit', async () => {
    const pdf = buildPdf(Array.from({ length: 300 }, (_, i) => [`Page ${i + 1} has a line of text.`]));
    const error = await rejectionOf(extractDocument(pdf, 'application/pdf', { pdf: { timeoutMs: 1 } }));
    expect(error.code).toBe('invalid_request_error');
    expect(error.message).toBe('the PDF could not be read within 1 ms');
  });
});
