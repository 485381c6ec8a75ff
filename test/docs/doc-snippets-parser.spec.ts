import { docBlocks, missingOutputLine } from '../support/doc-snippets.js';

describe('documentation snippet parser', () => {
  const md = [
    'Text with ```` ```sh doc-test ```` inline is no fence.',
    '',
    '```sh doc-test',
    'echo hello',
    '```',
    '',
    '```text output',
    'hello',
    '```',
    '',
    '```js doc-test browser',
    'console.log(1)',
    '```',
    '',
    'Between.',
    '',
    '```text output',
    '1',
    '```',
    '',
    '```sh',
    'not run',
    '```',
    '',
    '~~~yaml doc-test gateway',
    'aliases: {}',
    '~~~',
  ].join('\n');

  it('finds runnable blocks, their flags and the output block after each', () => {
    const blocks = docBlocks('x.md', md);
    expect(blocks.map((b) => [b.line, b.lang, b.flags, b.code, b.expected])).toEqual([
      [3, 'sh', [], 'echo hello', ['hello']],
      [11, 'js', ['browser'], 'console.log(1)', ['1']],
      [25, 'yaml', ['gateway'], 'aliases: {}', undefined],
    ]);
  });

  it('matches expected lines in order, with … as a wildcard', () => {
    const out = 'HTTP/1.1 200 OK\r\nx-request-id: abc\r\nx-gateway-cache: miss\r\n';
    expect(missingOutputLine(['HTTP/1.1 200 OK', 'x-gateway-cache: …'], out)).toBeUndefined();
    expect(missingOutputLine(['x-request-id: …', 'x-gateway-cache: miss'], out)).toBeUndefined();
    expect(missingOutputLine(['x-gateway-cache: miss', 'x-request-id: …'], out)).toBe('x-request-id: …');
    expect(missingOutputLine(['x-gateway-cache: hit'], out)).toBe('x-gateway-cache: hit');
    expect(missingOutputLine(['{"a":…}'], '{"a":1,"b":[2]}')).toBeUndefined();
    expect(missingOutputLine(['{"a":…}'], '{"b":1}')).toBe('{"a":…}');
    expect(missingOutputLine(['(a+b)*'], 'x (a+b)* y')).toBe('(a+b)*');
  });
});
