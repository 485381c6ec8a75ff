import { GatewayError } from '../../common/errors/gateway-error.js';
import type { DocumentType } from './ingest.types.js';

export interface DocumentTypeInput {
  /** The uploaded file's name; only its extension is used. */
  filename?: string;
  /** The declared Content-Type, parameters allowed (`text/plain; charset=utf-8`). */
  mime?: string;
  bytes: Uint8Array;
}

const MIME_TYPES: Readonly<Record<string, DocumentType>> = {
  'text/plain': 'text/plain',
  'text/markdown': 'text/markdown',
  'text/x-markdown': 'text/markdown',
  'text/html': 'text/html',
  'application/xhtml+xml': 'text/html',
  'application/pdf': 'application/pdf',
};

const EXTENSIONS: Readonly<Record<string, DocumentType>> = {
  '.txt': 'text/plain',
  '.md': 'text/markdown',
  '.markdown': 'text/markdown',
  '.html': 'text/html',
  '.htm': 'text/html',
  '.pdf': 'application/pdf',
};

// Clients send these when they do not know the type; they say nothing, so the extension decides.
const GENERIC_MIME_TYPES = new Set([
  '',
  'application/octet-stream',
  'binary/octet-stream',
  'application/unknown',
]);

const SUPPORTED =
  'text/plain (.txt), text/markdown (.md, .markdown), text/html (.html, .htm), application/pdf (.pdf)';

const PDF_MAGIC = [0x25, 0x50, 0x44, 0x46, 0x2d]; // "%PDF-"
const SNIFF_BYTES = 1024;

/**
 * Decides how a document is read: the content's magic bytes win (a PDF is a PDF whatever it was
 * declared as), then a specific declared MIME type, then the file extension, then a sniff of the
 * content. Text types are checked to really be text.
 */
export function detectDocumentType(input: DocumentTypeInput): DocumentType {
  const { bytes } = input;
  if (bytes.length === 0) throw new GatewayError('invalid_request_error', 'empty document');
  if (startsWith(bytes, PDF_MAGIC)) return 'application/pdf';

  const declared = typeFromDeclarations(normalizeMime(input.mime), extensionOf(input.filename));
  const type = declared ?? sniffTextType(bytes);
  if (type === 'application/pdf') return type;
  if (!looksLikeUtf8Text(bytes)) {
    throw new GatewayError(
      'unsupported_media_type',
      `the document is declared as ${type} but its content is binary or not UTF-8 text. Supported: ${SUPPORTED}`,
    );
  }
  return type;
}

function typeFromDeclarations(mime: string, extension: string): DocumentType | undefined {
  const byExtension = EXTENSIONS[extension];
  if (!GENERIC_MIME_TYPES.has(mime)) {
    const byMime = MIME_TYPES[mime];
    if (byMime === undefined) throw unsupported(`media type ${mime}`);
    // Many clients label every text file text/plain; a .md or .html name is the more precise claim.
    if (byMime === 'text/plain' && byExtension !== undefined && byExtension !== 'application/pdf') {
      return byExtension;
    }
    return byMime;
  }
  if (extension === '') return undefined;
  if (byExtension === undefined) throw unsupported(`file type ${extension}`);
  return byExtension;
}

// Nothing was declared: text is accepted as plain text (or HTML when it plainly is HTML).
function sniffTextType(bytes: Uint8Array): DocumentType {
  if (!looksLikeUtf8Text(bytes)) throw unsupported('binary content of unknown type');
  const head = new TextDecoder('utf-8').decode(bytes.subarray(0, SNIFF_BYTES)).trimStart().toLowerCase();
  return head.startsWith('<!doctype html') || head.startsWith('<html') ? 'text/html' : 'text/plain';
}

function unsupported(what: string): GatewayError {
  return new GatewayError('unsupported_media_type', `unsupported ${what}. Supported: ${SUPPORTED}`);
}

function normalizeMime(mime: string | undefined): string {
  return (mime ?? '').split(';', 1)[0].trim().toLowerCase();
}

function extensionOf(filename: string | undefined): string {
  if (filename === undefined) return '';
  const base = filename.split(/[\\/]/).pop() ?? '';
  const dot = base.lastIndexOf('.');
  return dot <= 0 ? '' : base.slice(dot).toLowerCase();
}

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return prefix.every((b, i) => bytes[i] === b);
}

// Only the first KB is checked: enough to catch images, archives and UTF-16 without decoding a
// large upload twice. Extraction decodes the whole document strictly anyway.
function looksLikeUtf8Text(bytes: Uint8Array): boolean {
  const head = bytes.subarray(0, SNIFF_BYTES);
  if (head.includes(0)) return false;
  try {
    // `stream: true` tolerates a multi-byte character cut at the 1 KB boundary.
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
    return true;
  } catch {
    return false;
  }
}
