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
  /** A malformed line that followed good ones in the same read: thrown once those are delivered. */
  private failure?: NdjsonSyntaxError;

  /** The values of the complete lines so far; throws at a malformed line that has nothing good before it. */
  push(chunk: Uint8Array | string): unknown[] {
    this.throwIfFailed();
    this.buffer += typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    const out: unknown[] = [];
    let nl = this.buffer.indexOf('\n');
    while (nl !== -1) {
      try {
        this.parseLine(this.buffer.slice(0, nl), out);
      } catch (err) {
        if (out.length === 0 || !(err instanceof NdjsonSyntaxError)) throw err;
        this.failure = err;
        return out;
      }
      this.buffer = this.buffer.slice(nl + 1);
      nl = this.buffer.indexOf('\n');
    }
    return out;
  }

  /** Throws the malformed line that `push` held back after returning the good lines before it. */
  throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  end(): unknown[] {
    this.throwIfFailed();
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
  for await (const chunk of body) {
    yield* parser.push(chunk);
    parser.throwIfFailed();
  }
  yield* parser.end();
}
