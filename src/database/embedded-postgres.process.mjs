// The embedded PostgreSQL (PGlite + pgvector) in a process of its own, started by
// embedded-postgres.ts: its WASM engine then never stalls the gateway's event loop, and its
// memory is not the gateway's. Protocol over the IPC channel: the child sends {type:'ready', conn}
// or {type:'error', message}; the parent sends {type:'stop'}. The child also stops when the IPC
// channel closes (the parent died), and ignores SIGINT/SIGTERM so a Ctrl-C to the process group
// lets the parent drain its requests first.
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketHandler } from '@electric-sql/pglite-socket';
import { BackendQueue } from './embedded-postgres.backend-queue.mjs';

const [dir, maxConnections] = process.argv.slice(2);
let db;
let server;
let stopping;

/**
 * PGlite's socket protocol handlers on a loopback port, one per connection, all feeding one
 * BackendQueue (see there why the library's own server is not used).
 */
function serve(database, limit) {
  const queue = new BackendQueue(database);
  const handlers = new Set();
  const net = createServer((socket) => {
    if (handlers.size >= limit) {
      socket.end('Too many connections\n');
      return;
    }
    const handler = new PGLiteSocketHandler({ queryQueue: queue, closeOnDetach: true });
    handlers.add(handler);
    const forget = () => handlers.delete(handler);
    handler.addEventListener('close', forget);
    handler.addEventListener('error', forget);
    handler.attach(socket).catch(() => {
      forget();
      socket.destroy();
    });
  });
  return {
    listen: () =>
      new Promise((resolve, reject) => {
        net.once('error', reject);
        net.listen(0, '127.0.0.1', () => {
          const { port } = net.address();
          resolve(`127.0.0.1:${port}`);
        });
      }),
    stop: async () => {
      await Promise.allSettled([...handlers].map((h) => h.detach(true)));
      handlers.clear();
      await new Promise((resolve) => net.close(() => resolve()));
    },
  };
}

function stop(code) {
  stopping ??= (async () => {
    try {
      await server?.stop();
      if (db && !db.closed) await db.close();
    } finally {
      process.exit(code);
    }
  })();
  return stopping;
}

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => undefined);
process.on('disconnect', () => void stop(0));
process.on('message', (msg) => {
  if (msg?.type === 'stop') void stop(0);
});

try {
  await mkdir(dir, { recursive: true });
  db = await PGlite.create(dir, { extensions: { vector } });
  server = serve(db, Number(maxConnections));
  process.send?.({ type: 'ready', conn: await server.listen() });
} catch (err) {
  process.send?.({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  await stop(1);
}
