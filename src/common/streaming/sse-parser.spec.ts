import { NdjsonParser, NdjsonSyntaxError } from './ndjson-parser.js';
import { SseParser } from './sse-parser.js';

function feedBytewise(parser: SseParser, text: string, size: number) {
  const bytes = Buffer.from(text, 'utf8');
  const events = [];
  for (let i = 0; i < bytes.length; i += size) events.push(...parser.push(bytes.subarray(i, i + size)));
  return events;
}

describe('SseParser', () => {
  const stream =
    ': keep-alive\n\nevent: message_start\ndata: {"a":"héllo 🌍"}\n\ndata: line1\ndata: line2\nid: 7\n\ndata: [DONE]\n\n';
  const expected = [
    { event: 'message_start', data: '{"a":"héllo 🌍"}', id: undefined },
    { event: undefined, data: 'line1\nline2', id: '7' },
    { event: undefined, data: '[DONE]', id: '7' },
  ];

  it.each([1, 2, 3, 5, 7, 1000])('parses the same events whatever the read size (%i bytes)', (size) => {
    const events = feedBytewise(new SseParser(), stream, size);
    expect(events.map((e) => ({ ...e, id: e.id }))).toEqual(
      expected.map((e, i) => ({ ...e, id: i === 0 ? undefined : '7' })),
    );
  });

  it('handles CRLF and lone CR line endings, including a CR/LF pair split across reads', () => {
    const p = new SseParser();
    const crlf = 'data: a\r\n\r\ndata: b\r\rdata: c\r';
    const out = [...p.push(crlf), ...p.push('\n\r\n')];
    expect(out.map((e) => e.data)).toEqual(['a', 'b', 'c']);
  });

  it('drops an event the stream cut before its blank line', () => {
    const p = new SseParser();
    expect(p.push('data: {"partial": tr')).toEqual([]);
  });

  it('ignores unknown fields and strips one leading space only', () => {
    expect(new SseParser().push('retry: 100\nfoo: bar\ndata:  two spaces\n\n')).toEqual([
      { event: undefined, data: ' two spaces', id: undefined },
    ]);
  });
});

describe('NdjsonParser', () => {
  it('parses lines split at any byte, with a final unterminated line', () => {
    const text = '{"m":"é"}\r\n\n{"done":false}\n{"done":true}';
    const bytes = Buffer.from(text);
    const p = new NdjsonParser();
    const out: unknown[] = [];
    for (let i = 0; i < bytes.length; i += 3) out.push(...p.push(bytes.subarray(i, i + 3)));
    out.push(...p.end());
    expect(out).toEqual([{ m: 'é' }, { done: false }, { done: true }]);
  });

  it('throws on a malformed line', () => {
    expect(() => new NdjsonParser().push('{"a":\n')).toThrow(NdjsonSyntaxError);
  });
});
