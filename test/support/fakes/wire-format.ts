export type StreamFormat = 'sse' | 'ndjson';

/** One SSE event, SSE comment or NDJSON line, before encoding. */
export interface StreamFrame {
  /** SSE `event:` name; omitted for unnamed events and NDJSON. */
  event?: string;
  /** SSE `data:` payload or the NDJSON line, without the line ending. */
  data: string;
  /** When set, an SSE comment line (`:<comment>`) and `data` is ignored. */
  comment?: string;
}

export const SSE_KEEP_ALIVE: StreamFrame = { comment: ' keep-alive', data: '' };

/** Encodes one frame; every SSE event ends with an empty line, every NDJSON line with a newline. */
export function encodeFrame(frame: StreamFrame, format: StreamFormat, crlf: boolean): Buffer {
  const eol = crlf ? '\r\n' : '\n';
  if (format === 'ndjson') return Buffer.from(frame.data + eol, 'utf8');
  const lines: string[] = [];
  if (frame.comment !== undefined) {
    lines.push(`:${frame.comment}`);
  } else {
    if (frame.event !== undefined) lines.push(`event: ${frame.event}`);
    for (const line of frame.data.split('\n')) lines.push(`data: ${line}`);
  }
  return Buffer.from(lines.join(eol) + eol + eol, 'utf8');
}

/** A copy of the frame whose payload is cut in half, so it is no longer valid JSON. */
export function brokenFrame(frame: StreamFrame | undefined): StreamFrame {
  const data = frame?.comment === undefined ? (frame?.data ?? '') : '';
  let cut = data.slice(0, Math.ceil(data.length / 2));
  if (cut.length < 2 || isJson(cut)) cut = '{"broken":';
  return frame?.event === undefined ? { data: cut } : { event: frame.event, data: cut };
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Splits bytes into pieces of 1, 3, 5, 7, ... bytes (or single bytes); a cut is also forced after
 * every `\r` of a CRLF and after the lead byte of every multi-byte UTF-8 character.
 */
export function splitPieces(bytes: Buffer, bytewise: boolean): Buffer[] {
  const sizes = bytewise ? [1] : [1, 3, 5, 7];
  const cuts = new Set<number>();
  for (let offset = 0, i = 0; offset < bytes.length; i++) {
    offset += sizes[i % sizes.length] ?? 1;
    cuts.add(Math.min(offset, bytes.length));
  }
  bytes.forEach((byte, i) => {
    if ((byte === 0x0d && bytes[i + 1] === 0x0a) || byte >= 0xc0) cuts.add(i + 1);
  });
  let start = 0;
  return [...cuts]
    .sort((a, b) => a - b)
    .map((end) => {
      const piece = bytes.subarray(start, end);
      start = end;
      return piece;
    });
}

/**
 * Serialises like Python's `json.dumps` defaults: `", "` and `": "` separators and non-ASCII
 * escaped as `\uXXXX` (LiteLLM's mid-stream error frame is written this way).
 */
export function pythonJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => pythonJson(v)).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.map(([k, v]) => `${asciiJson(k)}: ${pythonJson(v)}`).join(', ')}}`;
  }
  if (typeof value === 'string') return asciiJson(value);
  return JSON.stringify(value) ?? 'null';
}

function asciiJson(text: string): string {
  return JSON.stringify(text).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** RFC 3339 UTC timestamp with nanoseconds, as Go prints it. */
export function nanoTimestamp(date = new Date()): string {
  const nanos = String(process.hrtime.bigint() % 1_000_000n).padStart(6, '0');
  return date.toISOString().replace(/Z$/, `${nanos}Z`);
}
