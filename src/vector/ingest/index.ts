export { chunkDocument } from './chunker.js';
export { cleanText } from './clean-text.js';
export { detectDocumentType, type DocumentTypeInput } from './detect-type.js';
export { extractDocument, type ExtractOptions } from './extract.js';
export { DEFAULT_PDF_LIMITS, type PdfLimits } from './extract-pdf.js';
export * from './ingest.types.js';
