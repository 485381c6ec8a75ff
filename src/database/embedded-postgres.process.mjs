// The embedded PostgreSQL (PGlite + pgvector) in a process of its own, started by
// embedded-postgres.ts: its WASM engine then never stalls the gateway's event loop, and its
// memory is not the gateway's. Protocol over the IPC channel: the child sends {type:'ready', conn}
// or {type:'error', message}; the parent sends {type:'stop'}. The child also stops when the IPC
// channel closes (the parent died), and ignores SIGINT/SIGTERM so a Ctrl-C to the process group
// lets the parent drain its requests first.
import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

const [dir, maxConnections] = process.argv.slice(2);
let db;
let server;
let stopping;

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
  server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: Number(maxConnections) });
  await server.start();
  process.send?.({ type: 'ready', conn: server.getServerConn() });
} catch (err) {
  process.send?.({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  await stop(1);
}
