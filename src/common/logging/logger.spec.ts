import { LogSink } from '../../../test/support/log-sink.js';
import { createRootLogger } from './logger.js';

describe('root logger', () => {
  it('writes JSON lines and redacts credentials', () => {
    const sink = new LogSink();
    const log = createRootLogger('info', sink);
    log.info(
      { reqId: 'r1', req: { headers: { authorization: 'Bearer sk-secret-1' } }, apiKey: 'sk-secret-2' },
      'hello',
    );
    log.flush();
    const line = JSON.parse(sink.lines[0]) as Record<string, unknown>;
    expect(line).toMatchObject({ msg: 'hello', reqId: 'r1', apiKey: '[redacted]' });
    expect(sink.text).not.toContain('sk-secret');
  });
});
