import { once } from 'node:events';
import type { ServerResponse } from 'node:http';

/**
 * Writes one frame and, when the socket buffer is full, waits for it to drain: a slow client
 * slows the upstream read instead of growing memory. Resolves early if the client is gone.
 */
export async function writeSse(raw: ServerResponse, frame: string): Promise<void> {
  if (raw.destroyed) throw new Error('client disconnected');
  if (raw.write(frame)) return;
  // The losing listener is removed, so a long stream to a slow client does not pile them up.
  const settled = new AbortController();
  try {
    await Promise.race([
      once(raw, 'drain', { signal: settled.signal }),
      once(raw, 'close', { signal: settled.signal }),
    ]);
  } finally {
    settled.abort();
  }
  if (raw.destroyed) throw new Error('client disconnected');
}
