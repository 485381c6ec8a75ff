import { createHash } from 'node:crypto';
import { RESP_TYPES, type RedisClientType } from '@redis/client';
import { CacheStore, type CacheStoreStats } from '../cache-store.port.js';
import { type CachedValue, liveTtlMs } from './cached-value.js';

/**
 * GET and PTTL atomically. Not a MULTI: its EXEC reply loses the Buffer type mapping in @redis/client 5.
 * Not `RedisScript` either: that takes only the client without a type mapping.
 */
const GET_WITH_TTL = `
local value = redis.call('GET', KEYS[1])
if not value then return false end
return {value, redis.call('PTTL', KEYS[1])}
`;
const GET_WITH_TTL_SHA = createHash('sha1').update(GET_WITH_TTL).digest('hex');

const SCAN_COUNT = 1000;

/** Redis glob metacharacters other than `*`, which stays a wildcard. */
function escapeGlob(text: string, keepStar: boolean): string {
  return text.replace(keepStar ? /[?[\]\\]/g : /[*?[\]\\]/g, '\\$&');
}

/**
 * The shared tier: entries live under `<prefix><key>` with a PX expiry. Values round-trip as
 * Buffers (the client's blob strings are mapped to Buffer for reads). Commands fail fast while Redis is
 * down; callers decide what a failure means.
 */
export class RedisCacheStore extends CacheStore {
  private readonly buffers;

  /** `prefix` is prepended to every key: `<redis.keyPrefix>cache:` in the app. */
  constructor(
    private readonly client: RedisClientType,
    readonly prefix: string,
  ) {
    super();
    this.buffers = client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
  }

  async get(key: string): Promise<Buffer | undefined> {
    return (await this.buffers.get(this.prefix + key)) ?? undefined;
  }

  /** The value and its remaining PTTL (`Infinity` for a key without expiry), read atomically. */
  async getWithTtl(key: string): Promise<CachedValue | undefined> {
    const options = { keys: [this.prefix + key] };
    let reply;
    try {
      reply = await this.buffers.evalSha(GET_WITH_TTL_SHA, options);
    } catch (err) {
      // Loaded on the first NOSCRIPT, e.g. after a Redis restart.
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      reply = await this.buffers.eval(GET_WITH_TTL, options);
    }
    if (!Array.isArray(reply)) return undefined;
    const [value, pttl] = reply as [Buffer, number];
    return { value, ttlMs: pttl < 0 ? Infinity : pttl };
  }

  async set(key: string, value: Buffer, ttlMs: number): Promise<void> {
    const ttl = liveTtlMs(ttlMs);
    if (ttl === undefined) {
      await this.client.del(this.prefix + key);
    } else if (ttl === Infinity) {
      await this.client.set(this.prefix + key, value);
    } else {
      await this.client.set(this.prefix + key, value, { expiration: { type: 'PX', value: Math.ceil(ttl) } });
    }
  }

  async delete(key: string): Promise<boolean> {
    return (await this.client.del(this.prefix + key)) > 0;
  }

  /** SCAN MATCH in pages of ~1000 keys, each page UNLINKed as it arrives; counts keys actually removed. */
  async deleteMatching(glob: string): Promise<number> {
    const match = escapeGlob(this.prefix, false) + escapeGlob(glob, true);
    let deleted = 0;
    for await (const keys of this.client.scanIterator({ MATCH: match, COUNT: SCAN_COUNT })) {
      if (keys.length > 0) deleted += await this.client.unlink(keys);
    }
    return deleted;
  }

  /** Redis does not say which of these entries it evicted; `INFO` is too coarse to count them here. */
  stats(): CacheStoreStats {
    return { evictions: 0 };
  }
}
