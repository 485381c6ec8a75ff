import { once } from 'node:events';
import { connect, type Socket } from 'node:net';

/** One backend message: its type letter and body. */
export interface PgMessage {
  type: string;
  body: Buffer;
}

function message(type: string, body: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([head, body]);
}

const cstring = (s: string): Buffer => Buffer.from(`${s}\0`, 'utf8');

function int16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

/** Frontend messages of the PostgreSQL wire protocol (v3), unnamed statement and portal only. */
export const pgFrontend = {
  startup(user: string, database: string): Buffer {
    const body = Buffer.concat([
      int32(196608),
      cstring('user'),
      cstring(user),
      cstring('database'),
      cstring(database),
      Buffer.from([0]),
    ]);
    return Buffer.concat([int32(4 + body.length), body]);
  },
  query: (sql: string) => message('Q', cstring(sql)),
  parse: (sql: string) => message('P', Buffer.concat([cstring(''), cstring(sql), int16(0)])),
  bind(values: string[]): Buffer {
    const params = values.map((v) => {
      const bytes = Buffer.from(v, 'utf8');
      return Buffer.concat([int32(bytes.length), bytes]);
    });
    return message(
      'B',
      Buffer.concat([cstring(''), cstring(''), int16(0), int16(values.length), ...params, int16(0)]),
    );
  },
  execute: () => message('E', Buffer.concat([cstring(''), int32(0)])),
  sync: () => message('S'),
  terminate: () => message('X'),
};

/**
 * A raw PostgreSQL protocol connection, for tests that must control exactly which messages reach
 * the server and when (what `pg` does not let a caller do).
 */
export class PgWireClient {
  private buffered = Buffer.alloc(0);
  private readonly received: PgMessage[] = [];
  private waiter?: () => void;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      while (this.buffered.length >= 5) {
        const length = this.buffered.readInt32BE(1);
        if (this.buffered.length < 1 + length) break;
        this.received.push({
          type: String.fromCharCode(this.buffered[0] ?? 0),
          body: this.buffered.subarray(5, 1 + length),
        });
        this.buffered = this.buffered.subarray(1 + length);
      }
      this.waiter?.();
    });
    socket.on('close', () => this.waiter?.());
  }

  /** Connects and completes the start-up exchange (trust authentication). */
  static async open(hostPort: string): Promise<PgWireClient> {
    const [host, port] = hostPort.split(':');
    const socket = connect(Number(port), host);
    await once(socket, 'connect');
    const client = new PgWireClient(socket);
    client.send(pgFrontend.startup('postgres', 'postgres'));
    await client.until((m) => m.type === 'Z', 10_000);
    client.take();
    return client;
  }

  send(...messages: Buffer[]): void {
    this.socket.write(Buffer.concat(messages));
  }

  /** Resolves with the messages received so far once one matches, or rejects after `ms`. */
  async until(match: (m: PgMessage) => boolean, ms: number): Promise<PgMessage[]> {
    const deadline = Date.now() + ms;
    for (;;) {
      if (this.received.some(match)) return [...this.received];
      if (this.socket.destroyed) throw new Error('connection closed');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching message within ${ms} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Whether a message matching arrives within `ms`. */
  async arrives(match: (m: PgMessage) => boolean, ms: number): Promise<boolean> {
    try {
      await this.until(match, ms);
      return true;
    } catch {
      return false;
    }
  }

  /** Returns and forgets what was received. */
  take(): PgMessage[] {
    return this.received.splice(0);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** The text of an ErrorResponse's message field (M). */
export function errorText(m: PgMessage): string {
  for (const field of m.body.toString('utf8').split('\0')) if (field.startsWith('M')) return field.slice(1);
  return '';
}

/** The columns of a DataRow, as text. */
export function dataRow(m: PgMessage): Array<string | null> {
  const count = m.body.readInt16BE(0);
  const out: Array<string | null> = [];
  let at = 2;
  for (let i = 0; i < count; i++) {
    const len = m.body.readInt32BE(at);
    at += 4;
    if (len < 0) {
      out.push(null);
      continue;
    }
    out.push(m.body.subarray(at, at + len).toString('utf8'));
    at += len;
  }
  return out;
}
