import { once } from 'node:events';
import type { ServerResponse } from 'node:http';

/**
 * Writes one frame and, when the socket buffer is full, waits for it to drain: a slow client
 * slows the upstream read instead of growing memory. Resolves early if the client is gone.
 */
export async function writeSse(raw: ServerResponse, frame: string): Promise<void> {
  if (raw.destroyed) throw new Error('client disconnected');
  if (raw.write(frame)) return;
  await Promise.race([once(raw, 'drain'), once(raw, 'close')]);
  if (raw.destroyed) throw new Error('client disconnected');
}
