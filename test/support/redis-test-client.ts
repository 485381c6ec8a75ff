import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, type RedisClientType } from '@redis/client';
import { TEST_REDIS_URL } from './env.js';

/** A client configured like the app's shared one (fail fast while down), but reconnecting quickly. */
export async function connectTestRedis(url = TEST_REDIS_URL): Promise<RedisClientType> {
  const client: RedisClientType = createClient({
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout: 500, reconnectStrategy: (retries: number) => Math.min(25 * 2 ** retries, 200) },
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** A key prefix no other test run uses, e.g. `test:redis-store:1a2b3c4d:`. */
export function uniqueKeyPrefix(label: string): string {
  return `test:${label}:${randomUUID().slice(0, 8)}:`;
}

/** Removes every key under `prefix` (which must not contain glob characters). */
export async function unlinkPrefix(client: RedisClientType, prefix: string): Promise<void> {
  for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
    if (keys.length > 0) await client.unlink(keys);
  }
}

export async function closeTestRedis(client: RedisClientType): Promise<void> {
  if (!client.isOpen) return;
  if (client.isReady) await client.close();
  else client.destroy();
}

/** Polls until `check` is true; returns the milliseconds it took, or throws after `timeoutMs`. */
export async function pollUntil(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (await check()) return performance.now() - started;
    if (performance.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(2);
  }
}
