import { GatewayError } from '../../common/errors/gateway-error.js';
import { cleanText } from './clean-text.js';
import { parseHtml } from './extract-html.js';
import { parseMarkdown, type RawDocument } from './extract-markdown.js';
import { DEFAULT_PDF_LIMITS, parsePdf, type PdfLimits } from './extract-pdf.js';
import type { DocumentType, ExtractedDocument, TextSection } from './ingest.types.js';

export interface ExtractOptions {
  /** Page and time bounds for PDFs; defaults to 2000 pages and 30 s. */
  pdf?: Partial<PdfLimits>;
}

/**
 * Turns a document's bytes into cleaned sections under their headings. Text formats must be valid
 * UTF-8. Throws `invalid_request_error` for unreadable documents and for documents without text.
 */
export async function extractDocument(
  bytes: Uint8Array,
  type: DocumentType,
  options: ExtractOptions = {},
): Promise<ExtractedDocument> {
  switch (type) {
    case 'text/plain':
      return finalize(type, { sections: [{ headingPath: [], text: decodeUtf8(bytes) }] });
    case 'text/markdown':
      return finalize(type, parseMarkdown(decodeUtf8(bytes)));
    case 'text/html':
      return finalize(type, parseHtml(decodeUtf8(bytes)));
    case 'application/pdf': {
      const raw = await parsePdf(bytes, { ...DEFAULT_PDF_LIMITS, ...options.pdf });
      return finalize(type, raw, 'the PDF has no extractable text (scanned images?)');
    }
  }
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw new GatewayError('invalid_request_error', 'the document is not valid UTF-8 text', { cause: error });
  }
}

function finalize(
  type: DocumentType,
  raw: RawDocument,
  emptyMessage = 'the document contains no text',
): ExtractedDocument {
  const sections: TextSection[] = [];
  for (const section of raw.sections) {
    const text = cleanText(section.text);
    if (text === '') continue;
    const headingPath = section.headingPath.map(cleanLine).filter((h) => h !== '');
    sections.push({ headingPath, text });
  }
  if (sections.length === 0) throw new GatewayError('invalid_request_error', emptyMessage);
  const title = raw.title === undefined ? undefined : cleanLine(raw.title);
  return title === undefined || title === '' ? { type, sections } : { type, title, sections };
}

// Headings and titles are single lines.
function cleanLine(text: string): string {
  return cleanText(text).replace(/\n+/g, ' ');
}
