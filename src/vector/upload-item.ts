import { GatewayError } from '../common/errors/gateway-error.js';
import type { DocumentStatus } from './document.entity.js';

/** One document of an upload, as the edge read it (JSON text or a multipart file). */
export interface UploadItem {
  bytes: Buffer;
  /** The file name (multipart) or `source_name`; its extension helps detect the type. */
  sourceName?: string;
  /** The declared type (JSON `mime`, the file part's Content-Type). */
  mime?: string;
  metadata?: Record<string, unknown>;
}

/** An item the edge could not read (bad JSON fields, a file over the limit): it fails on its own. */
export interface RejectedItem {
  error: GatewayError;
}

export type UploadEntry = UploadItem | RejectedItem;

export type UploadOutcome = { id: string; status: DocumentStatus } | { error: GatewayError; index: number };

export function isRejected(e: UploadEntry): e is RejectedItem {
  return 'error' in e;
}

/** Upper bounds shared by the JSON and multipart readers. */
export const MAX_BATCH_DOCUMENTS = 100;
export const MAX_METADATA_BYTES = 16 * 1024;
export const MAX_SOURCE_NAME = 500;
export const MAX_MIME = 100;

/** A metadata value: a JSON object of bounded size, or undefined when absent. */
export function readMetadata(value: unknown, param: string): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new GatewayError('invalid_request_error', `'${param}' must be a JSON object.`, { param });
  }
  if (Buffer.byteLength(JSON.stringify(value)) > MAX_METADATA_BYTES) {
    throw new GatewayError(
      'invalid_request_error',
      `'${param}' exceeds ${MAX_METADATA_BYTES} bytes of JSON.`,
      {
        param,
      },
    );
  }
  return value as Record<string, unknown>;
}

export function readOptionalString(value: unknown, param: string, maxLength: number): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length > maxLength) {
    throw new GatewayError(
      'invalid_request_error',
      `'${param}' must be a string of at most ${maxLength} characters.`,
      {
        param,
      },
    );
  }
  return value;
}

export function tooLarge(maxBytes: number, param?: string): GatewayError {
  return new GatewayError(
    'request_too_large',
    `The document exceeds the limit of ${maxBytes} bytes (DOCUMENT_MAX_BYTES).`,
    {
      param,
    },
  );
}

/** One JSON document (`{text, metadata?, source_name?, mime?}`), at `param` in the body. */
export function readJsonItem(raw: unknown, param: string, maxBytes: number): UploadItem {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new GatewayError('invalid_request_error', `'${param || 'body'}' must be a JSON object.`, {
      param: param || 'body',
    });
  }
  const at = (field: string) => (param ? `${param}.${field}` : field);
  const r = raw as Record<string, unknown>;
  if (typeof r.text !== 'string') {
    throw new GatewayError('invalid_request_error', `'${at('text')}' must be a string.`, {
      param: at('text'),
    });
  }
  if (r.text.trim() === '') {
    throw new GatewayError('invalid_request_error', `'${at('text')}' is empty.`, { param: at('text') });
  }
  const bytes = Buffer.from(r.text, 'utf8');
  if (bytes.length > maxBytes) throw tooLarge(maxBytes, at('text'));
  return {
    bytes,
    sourceName: readOptionalString(r.source_name, at('source_name'), MAX_SOURCE_NAME),
    mime: readOptionalString(r.mime, at('mime'), MAX_MIME),
    metadata: readMetadata(r.metadata, at('metadata')),
  };
}

/** A JSON upload body: one document, or `{documents: [...]}` whose bad items fail one by one. */
export function readJsonUpload(body: unknown, maxBytes: number): { batch: boolean; entries: UploadEntry[] } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new GatewayError('invalid_request_error', 'The request body must be a JSON object.', {
      param: 'body',
    });
  }
  const documents = (body as Record<string, unknown>).documents;
  if (documents === undefined) return { batch: false, entries: [readJsonItem(body, '', maxBytes)] };
  if (!Array.isArray(documents) || documents.length === 0 || documents.length > MAX_BATCH_DOCUMENTS) {
    throw new GatewayError(
      'invalid_request_error',
      `'documents' must be an array of 1 to ${MAX_BATCH_DOCUMENTS} documents.`,
      { param: 'documents' },
    );
  }
  const entries = documents.map((item: unknown, i): UploadEntry => {
    try {
      return readJsonItem(item, `documents.${i}`, maxBytes);
    } catch (err) {
      if (err instanceof GatewayError) return { error: err };
      throw err;
    }
  });
  return { batch: true, entries };
}
