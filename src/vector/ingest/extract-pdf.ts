import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { getDocumentProxy } from 'unpdf';
import { GatewayError } from '../../common/errors/gateway-error.js';
import type { RawDocument } from './extract-markdown.js';

type PdfDocument = Awaited<ReturnType<typeof getDocumentProxy>>;

/** Bounds on the work one PDF may cause. */
export interface PdfLimits {
  /** Documents with more pages are refused (413) before any page is read. */
  maxPages: number;
  /** Reading stops and the PDF is refused after this long. */
  timeoutMs: number;
}

export const DEFAULT_PDF_LIMITS: Readonly<PdfLimits> = { maxPages: 2000, timeoutMs: 30_000 };

/**
 * Reads a PDF's text with pdf.js (through unpdf) into one section: pages joined by a paragraph
 * break, so sentences that run across a page boundary can share a chunk. The title comes from the
 * document information dictionary or XMP metadata.
 */
export async function parsePdf(
  bytes: Uint8Array,
  limits: PdfLimits = DEFAULT_PDF_LIMITS,
): Promise<RawDocument> {
  const deadline = Date.now() + limits.timeoutMs;
  let timer: NodeJS.Timeout | undefined;
  // The timer covers a load that stalls; it cannot fire while pdf.js parses in microtasks, which is
  // why the page loop also yields to the event loop and checks the deadline itself.
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(timeoutError(limits.timeoutMs)), limits.timeoutMs);
  });
  try {
    return await Promise.race([readPdf(bytes, limits, deadline), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function readPdf(bytes: Uint8Array, limits: PdfLimits, deadline: number): Promise<RawDocument> {
  let pdf: PdfDocument;
  try {
    // pdf.js takes over (detaches) the buffer it is given; the caller's bytes must stay usable.
    pdf = await getDocumentProxy(new Uint8Array(bytes), { verbosity: 0 });
  } catch (error) {
    throw unreadable(error);
  }
  try {
    if (pdf.numPages > limits.maxPages) {
      throw new GatewayError(
        'request_too_large',
        `the PDF has ${pdf.numPages} pages; at most ${limits.maxPages} are accepted`,
      );
    }
    const pages: string[] = [];
    for (let n = 1; n <= pdf.numPages; n++) {
      // Other requests get the event loop between pages; a slow document stops at its deadline.
      await yieldToEventLoop();
      if (Date.now() > deadline) throw timeoutError(limits.timeoutMs);
      pages.push(await pageText(pdf, n));
    }
    return { title: await readTitle(pdf), sections: [{ headingPath: [], text: pages.join('\n\n') }] };
  } catch (error) {
    throw error instanceof GatewayError ? error : unreadable(error);
  } finally {
    await pdf.destroy();
  }
}

async function pageText(pdf: PdfDocument, pageNumber: number): Promise<string> {
  const page = await pdf.getPage(pageNumber);
  try {
    const content = await page.getTextContent();
    return content.items.map((item) => ('str' in item ? item.str + (item.hasEOL ? '\n' : '') : '')).join('');
  } finally {
    page.cleanup();
  }
}

// A missing or malformed title is no reason to refuse a readable document.
async function readTitle(pdf: PdfDocument): Promise<string | undefined> {
  try {
    const { info, metadata } = await pdf.getMetadata();
    const fromInfo: unknown = (info as Record<string, unknown>).Title;
    const fromXmp: unknown = metadata?.get('dc:title');
    const title = [fromInfo, fromXmp].find((t): t is string => typeof t === 'string' && t.trim() !== '');
    return title?.trim();
  } catch {
    return undefined;
  }
}

function unreadable(error: unknown): GatewayError {
  if (error instanceof Error && error.name === 'PasswordException') {
    return new GatewayError('invalid_request_error', 'the PDF is password-protected', { cause: error });
  }
  const reason = error instanceof Error ? error.message.replace(/\.$/, '') : 'unknown error';
  return new GatewayError('invalid_request_error', `the PDF could not be read: ${reason}`, { cause: error });
}

function timeoutError(timeoutMs: number): GatewayError {
  return new GatewayError('invalid_request_error', `the PDF could not be read within ${timeoutMs} ms`);
}
