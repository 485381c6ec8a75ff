import type {} from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { GatewayError } from '../common/errors/gateway-error.js';
import {
  MAX_BATCH_DOCUMENTS,
  MAX_METADATA_BYTES,
  readMetadata,
  tooLarge,
  type UploadEntry,
} from './upload-item.js';

/** Files of one multipart request are held in memory together: at most this many times the per-file limit. */
export const MULTIPART_TOTAL_FACTOR = 4;
const MAX_FIELDS = 10;

type PartsOptions = NonNullable<Parameters<FastifyRequest['parts']>[0]>;

/** @fastify/multipart's limit errors carry these codes. */
const LIMIT_ERRORS: Readonly<Record<string, string>> = {
  FST_FILES_LIMIT: `A multipart upload carries at most ${MAX_BATCH_DOCUMENTS} files.`,
  FST_PARTS_LIMIT: 'The multipart upload has too many parts.',
  FST_FIELDS_LIMIT: `A multipart upload carries at most ${MAX_FIELDS} fields.`,
};

function parseMetadataField(value: unknown): Record<string, unknown> | undefined {
  if (typeof value !== 'string') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new GatewayError('invalid_request_error', "The 'metadata' field is not valid JSON.", {
      param: 'metadata',
    });
  }
  return readMetadata(parsed, 'metadata');
}

function limitError(err: unknown): GatewayError | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  const message = typeof code === 'string' ? LIMIT_ERRORS[code] : undefined;
  return message ? new GatewayError('request_too_large', message) : undefined;
}

/**
 * Reads a multipart upload: every file part is a document (its file name and Content-Type help
 * detect the type); an optional `metadata` field (a JSON object) applies to all of them, wherever it
 * sits in the form. A file over the limit fails alone; so many bytes that the request as a whole
 * exceeds MULTIPART_TOTAL_FACTOR × the limit refuse the request.
 */
export async function readMultipartUpload(req: FastifyRequest, maxBytes: number): Promise<UploadEntry[]> {
  const entries: UploadEntry[] = [];
  const totalLimit = maxBytes * MULTIPART_TOTAL_FACTOR;
  let total = 0;
  let metadata: Record<string, unknown> | undefined;
  const options = {
    limits: {
      fileSize: maxBytes,
      files: MAX_BATCH_DOCUMENTS,
      fields: MAX_FIELDS,
      fieldSize: MAX_METADATA_BYTES,
    },
    throwFileSizeLimit: false,
  } as PartsOptions;
  try {
    for await (const part of req.parts(options)) {
      if (part.type === 'field') {
        if (part.fieldname === 'metadata') metadata = parseMetadataField(part.value);
        continue;
      }
      const bytes = await part.toBuffer();
      if (part.file.truncated) {
        entries.push({ error: tooLarge(maxBytes, part.fieldname) });
        continue;
      }
      total += bytes.length;
      if (total > totalLimit) {
        throw new GatewayError(
          'request_too_large',
          `The files of one upload may total ${totalLimit} bytes; send them in several requests.`,
        );
      }
      entries.push({ bytes, sourceName: part.filename || undefined, mime: part.mimetype });
    }
  } catch (err) {
    throw limitError(err) ?? err;
  }
  if (entries.length === 0) {
    throw new GatewayError('invalid_request_error', 'The multipart upload has no file.', { param: 'file' });
  }
  return entries.map((e) => ('error' in e ? e : { ...e, metadata }));
}
