import type { RedisClientType } from '@redis/client';
import { RedisScript } from '../redis/redis-script.js';
import {
  DAY_TTL_MS,
  MINUTE_TTL_MS,
  type ReserveArgs,
  type ReserveOutcome,
  type SettleArgs,
  TokenLimitStore,
} from './token-limit.store.js';

/**
 * KEYS: minute window, day spend, then any request counters. ARGV: tokens, tpm, minute ttl, cost,
 * budget, day ttl, then each request counter's limit. Returns {status, used, spent}: 1 reserved,
 * 0 tokens exceeded, -1 budget exceeded, -2 needs seed, -3 a request counter is over its limit.
 */
const RESERVE = new RedisScript(`
for i = 3, #KEYS do
  if tonumber(redis.call('GET', KEYS[i]) or '0') > tonumber(ARGV[i + 4]) then return {-3, 0, 0} end
end
local tokens = tonumber(ARGV[1])
local tpm = tonumber(ARGV[2])
local cost = tonumber(ARGV[4])
local budget = tonumber(ARGV[5])
local spent = 0
if budget > 0 then
  local s = redis.call('GET', KEYS[2])
  if not s then return {-2, 0, 0} end
  spent = tonumber(s)
  if spent + cost > budget then return {-1, 0, spent} end
end
local used = 0
if tpm > 0 then
  used = tonumber(redis.call('GET', KEYS[1]) or '0')
  if used + tokens > tpm then return {0, used, spent} end
  used = redis.call('INCRBY', KEYS[1], tokens)
  if used == tokens then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
end
if budget > 0 then spent = redis.call('INCRBY', KEYS[2], cost) end
return {1, used, spent}
`);

/**
 * Adjusts counters that still exist, never below zero, in order: KEYS[i] by ARGV[i]. One call carries
 * every settlement of an event-loop turn (each a minute window and a day's spend).
 */
const SETTLE = new RedisScript(`
for i = 1, #KEYS do
  local delta = tonumber(ARGV[i])
  if delta ~= 0 and redis.call('EXISTS', KEYS[i]) == 1 then
    if redis.call('INCRBY', KEYS[i], delta) < 0 then redis.call('SET', KEYS[i], 0, 'KEEPTTL') end
  end
end
return 1
`);

export class RedisTokenLimitStore extends TokenLimitStore {
  /** Counters and deltas waiting for the turn's settlement call, in arrival order. */
  private batchKeys: string[] = [];
  private batchDeltas: number[] = [];
  private batchSent?: Promise<void>;

  constructor(
    private readonly client: RedisClientType,
    private readonly prefix: string,
  ) {
    super();
  }

  async reserve(a: ReserveArgs): Promise<ReserveOutcome> {
    const counters = a.requestCounters ?? { keys: [], limits: [] };
    const keys = [...this.keys(a.keyId, a.minute, a.day), ...counters.keys];
    const [status, used, spent] = (await RESERVE.run(this.client, keys, [
      a.tokens,
      a.tpm,
      MINUTE_TTL_MS,
      a.costMicros,
      a.budgetMicros,
      DAY_TTL_MS,
      ...counters.limits,
    ])) as [number, number, number];
    switch (status) {
      case 1:
        return { kind: 'reserved', usedTokens: used, spentMicros: spent };
      case 0:
        return { kind: 'tokens-exceeded', usedTokens: used };
      case -1:
        return { kind: 'budget-exceeded', spentMicros: spent };
      case -3:
        return { kind: 'requests-over' };
      default:
        return { kind: 'needs-seed' };
    }
  }

  /**
   * Settlements come after the answer, off the request path: those of one event-loop turn go to Redis
   * in one script call (sent from the check phase), applied in the order they were made.
   */
  async settle(a: SettleArgs): Promise<void> {
    if (a.tokenDelta === 0 && a.costDeltaMicros === 0) return;
    this.batchKeys.push(...this.keys(a.keyId, a.minute, a.day));
    this.batchDeltas.push(a.tokenDelta, a.costDeltaMicros);
    this.batchSent ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.sendBatch());
    await this.batchSent;
  }

  override async flush(): Promise<void> {
    await this.batchSent;
  }

  private async sendBatch(): Promise<void> {
    this.batchSent = undefined;
    const keys = this.batchKeys;
    const deltas = this.batchDeltas;
    if (keys.length === 0) return;
    this.batchKeys = [];
    this.batchDeltas = [];
    await SETTLE.run(this.client, keys, deltas);
  }

  async seedSpend(keyId: string, day: string, spentMicros: number): Promise<void> {
    await this.client.set(`${this.prefix}spend:${keyId}:${day}`, String(spentMicros), {
      condition: 'NX',
      expiration: { type: 'PX', value: DAY_TTL_MS },
    });
  }

  private keys(keyId: string, minute: number, day: string): string[] {
    return [`${this.prefix}tpm:${keyId}:${minute}`, `${this.prefix}spend:${keyId}:${day}`];
  }
}
