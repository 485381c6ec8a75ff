import type { RedisClientType } from '@redis/client';
import { RedisScript } from '../../redis/redis-script.js';
import { CooldownStore, type CooldownRule } from './cooldown.store.js';

/**
 * KEYS: cooled hash, failure counter, probe key. ARGV: target, now ms, failures, window ms,
 * duration ms, "1" to cool at once. Counts the failure in its window and, at the threshold, cools
 * the target (its until in the hash) and frees the probe; returns the until or 0.
 */
const FAILURE = new RedisScript(`
local n
if ARGV[6] == '1' then
  n = tonumber(ARGV[3])
else
  n = redis.call('INCR', KEYS[2])
  if n == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[4]) end
end
if n < tonumber(ARGV[3]) then return 0 end
local untilMs = tonumber(ARGV[2]) + tonumber(ARGV[5])
redis.call('HSET', KEYS[1], ARGV[1], untilMs)
redis.call('DEL', KEYS[2], KEYS[3])
return untilMs
`);

/** Shared by every instance on the same Redis and key prefix. */
export class RedisCooldownStore extends CooldownStore {
  private readonly hash: string;

  constructor(
    private readonly client: RedisClientType,
    private readonly prefix: string,
  ) {
    super();
    this.hash = `${prefix}route:cooled`;
  }

  async failure(id: string, rule: CooldownRule, now: boolean): Promise<number> {
    const until = await FAILURE.run(
      this.client,
      [this.hash, `${this.prefix}route:fail:${id}`, this.probeKey(id)],
      [id, Date.now(), Math.max(1, rule.failures), rule.windowMs, rule.durationMs, now ? '1' : '0'],
    );
    return Number(until);
  }

  async recovered(id: string): Promise<void> {
    await this.client.multi().hDel(this.hash, id).del(this.probeKey(id)).exec();
  }

  async claimProbe(id: string, ttlMs: number): Promise<boolean> {
    const ok = await this.client.set(this.probeKey(id), '1', {
      condition: 'NX',
      expiration: { type: 'PX', value: ttlMs },
    });
    return ok === 'OK';
  }

  async releaseProbe(id: string): Promise<void> {
    await this.client.del(this.probeKey(id));
  }

  async all(): Promise<Map<string, number>> {
    const entries = await this.client.hGetAll(this.hash);
    return new Map(Object.entries(entries).map(([id, until]) => [id, Number(until)]));
  }

  private probeKey(id: string): string {
    return `${this.prefix}route:probe:${id}`;
  }
}
