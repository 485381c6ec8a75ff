// Many client connections share PGlite's single backend. PostgreSQL keeps per-session state between
// the messages of one exchange: the unnamed prepared statement and portal from Parse/Bind until
// Sync, and an explicit transaction until COMMIT/ROLLBACK. A message from another connection in
// between (a simple Query drops the unnamed statement) corrupts that exchange, so the backend is
// lent to one connection from its first message until the backend says it is idle again: a
// ReadyForQuery with status 'I' at the end of the reply. Queued messages of other connections wait.

const READY_FOR_QUERY = 0x5a; // 'Z'
const IDLE = 0x49; // 'I'
const TERMINATE = 0x58; // 'X'
const SYNC = Uint8Array.of(0x53, 0, 0, 0, 4);

/** A simple-protocol Query message. */
function queryMessage(sql) {
  const text = Buffer.from(`${sql}\0`, 'utf8');
  const msg = Buffer.alloc(5 + text.length);
  msg[0] = 0x51; // 'Q'
  msg.writeInt32BE(4 + text.length, 1);
  text.copy(msg, 5);
  return msg;
}

/** Keeps the last 6 bytes written by the backend: enough to see a trailing ReadyForQuery. */
function keepTail(tail, chunk) {
  if (chunk.length >= 6) return chunk.subarray(chunk.length - 6);
  const joined = new Uint8Array(tail.length + chunk.length);
  joined.set(tail, 0);
  joined.set(chunk, tail.length);
  return joined.subarray(Math.max(0, joined.length - 6));
}

function endsIdle(tail) {
  return (
    tail.length === 6 &&
    tail[0] === READY_FOR_QUERY &&
    tail[1] === 0 &&
    tail[2] === 0 &&
    tail[3] === 0 &&
    tail[4] === 4 + 1 &&
    tail[5] === IDLE
  );
}

/**
 * The `queryQueue` of `PGLiteSocketHandler` (the same three methods as the library's own queue, which
 * releases the backend between the messages of an extended-protocol exchange).
 */
export class BackendQueue {
  #db;
  #items = [];
  /** Handler id the backend is lent to, or null when idle. */
  #owner = null;
  #pumping = false;

  constructor(db) {
    this.#db = db;
  }

  get owner() {
    return this.#owner;
  }

  enqueue(handlerId, message, onData) {
    return new Promise((resolve, reject) => {
      this.#items.push({ handlerId, message, onData, resolve, reject });
      void this.#pump();
    });
  }

  async #pump() {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      for (;;) {
        const at =
          this.#owner === null
            ? this.#items.length > 0
              ? 0
              : -1
            : this.#items.findIndex((i) => i.handlerId === this.#owner);
        if (at < 0) return;
        const [item] = this.#items.splice(at, 1);
        this.#owner = item.handlerId;
        let tail = new Uint8Array(0);
        let bytes = 0;
        try {
          await this.#db.runExclusive(() =>
            this.#db.execProtocolRawStream(item.message, {
              onRawData: (chunk) => {
                bytes += chunk.length;
                tail = keepTail(tail, chunk);
                item.onData(chunk);
              },
            }),
          );
        } catch (err) {
          // The handler closes its socket on this; release() then rolls back and frees the backend.
          item.reject(err);
          continue;
        }
        const terminated = item.message[0] === TERMINATE && !this.#db.isInTransaction();
        if (endsIdle(tail) || terminated) this.#owner = null;
        item.resolve(bytes);
      }
    } finally {
      this.#pumping = false;
    }
  }

  clearQueueForHandler(handlerId) {
    this.#items = this.#items.filter((item) => {
      if (item.handlerId !== handlerId) return true;
      item.reject(new Error('Handler disconnected'));
      return false;
    });
  }

  /** A connection went away while holding the backend: abort what it left open, then serve the rest. */
  async clearTransactionIfNeeded(handlerId) {
    if (this.#owner !== handlerId) return;
    try {
      // As PostgreSQL does for a lost session, nothing it left half done is committed. ROLLBACK ends
      // an explicit transaction or an unfinished Parse/Bind/Execute (its implicit transaction). If
      // the exchange had failed, the backend ignores everything up to a Sync, which then aborts it;
      // a failed explicit transaction needs the second ROLLBACK.
      await this.#db.runExclusive(async () => {
        await this.#db.execProtocolRaw(queryMessage('ROLLBACK'));
        await this.#db.execProtocolRaw(SYNC);
        if (this.#db.isInTransaction()) await this.#db.execProtocolRaw(queryMessage('ROLLBACK'));
      });
    } finally {
      if (this.#owner === handlerId) this.#owner = null;
      void this.#pump();
    }
  }
}
