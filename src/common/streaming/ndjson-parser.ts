/**
 * Incremental NDJSON parser: one JSON value per line, lines split anywhere across reads (UTF-8
 * included), CRLF tolerated, blank lines skipped. A final line without a newline is still parsed
 * (Ollama ends its stream that way at times). Invalid JSON throws `NdjsonSyntaxError`.
 */
export class NdjsonSyntaxError extends Error {
  constructor(readonly line: string) {
    super('malformed NDJSON line');
    this.name = 'NdjsonSyntaxError';
  }
}

export class NdjsonParser {
  private readonly decoder = new TextDecoder('utf-8');
  private buffer = '';

  push(chunk: Uint8Array | string): unknown[] {
    this.buffer += typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    const out: unknown[] = [];
    let nl = this.buffer.indexOf('\n');
    while (nl !== -1) {
      this.parseLine(this.buffer.slice(0, nl), out);
      this.buffer = this.buffer.slice(nl + 1);
      nl = this.buffer.indexOf('\n');
    }
    return out;
  }

  end(): unknown[] {
    const out: unknown[] = [];
    this.buffer += this.decoder.decode();
    this.parseLine(this.buffer, out);
    this.buffer = '';
    return out;
  }

  private parseLine(raw: string, out: unknown[]): void {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    try {
      out.push(JSON.parse(line));
    } catch {
      throw new NdjsonSyntaxError(line.slice(0, 200));
    }
  }
}

export async function* parseNdjson(body: AsyncIterable<Uint8Array>): AsyncGenerator<unknown> {
  const parser = new NdjsonParser();
  for await (const chunk of body) yield* parser.push(chunk);
  yield* parser.end();
}
