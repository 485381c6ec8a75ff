import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { RedisClientType } from '@redis/client';
import type { Logger } from 'pino';
import { IsNull, type Repository } from 'typeorm';
import { ADMIN_PRINCIPAL, type Principal, type Scope } from '../auth/principal.js';
import { GatewayError } from '../common/errors/gateway-error.js';
import { ROOT_LOGGER } from '../common/logging/logger.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { RedisConnection } from '../redis/redis-connection.js';
import { ApiKeyEntity } from './api-key.entity.js';
import { KeyCache } from './key-cache.js';
import { hashesMatch, hashKey, issueKey, keyPrefix } from './key-material.js';

/** With revocations broadcast over Redis, a cached lookup may live this long ... */
const CACHE_TTL_LIVE_MS = 60_000;
/** ... and without (no Redis, or its subscription is down), this long: revocation still reaches every instance within a second. */
const CACHE_TTL_UNSYNCED_MS = 1_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface NewKey {
  name: string;
  scopes: Scope[];
  models?: string[];
  rpm?: number;
  tpm?: number;
  dailyBudgetUsd?: number;
}

export function toPrincipal(row: ApiKeyEntity): Principal {
  return {
    keyId: row.id,
    name: row.name,
    scopes: new Set(row.scopes as Scope[]),
    models: row.models ?? undefined,
    limits: {
      rpm: row.rpm ?? undefined,
      tpm: row.tpm ?? undefined,
      dailyBudgetUsd: row.dailyBudgetUsd === null ? undefined : Number(row.dailyBudgetUsd),
    },
  };
}

/**
 * Issues, lists and revokes API keys, and turns a presented key into a `Principal`. Lookups are
 * cached in memory by key hash; a revocation evicts locally and is published on Redis so every other
 * instance evicts too.
 */
@Injectable()
export class KeysService implements OnModuleInit, OnApplicationShutdown {
  private readonly cache = new KeyCache();
  private readonly inflight = new Map<string, Promise<Principal | null>>();
  private readonly adminHash?: string;
  private readonly channel: string;
  private subscriber?: RedisClientType;
  private subscribed = false;

  constructor(
    @InjectRepository(ApiKeyEntity) private readonly repo: Repository<ApiKeyEntity>,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly redis: RedisConnection,
    @Inject(ROOT_LOGGER) private readonly log: Logger,
  ) {
    const admin = config.auth.adminApiKey;
    if (admin) this.adminHash = hashKey(admin);
    this.channel = `${config.redis.keyPrefix}keys:revoked`;
  }

  onModuleInit(): void {
    const client = this.redis.client;
    if (!client) return;
    const sub = client.duplicate();
    this.subscriber = sub;
    sub.on('error', () => this.onSyncLost());
    sub.on('end', () => this.onSyncLost());
    sub.on('ready', () => void this.subscribe(sub));
    sub.connect().catch(() => this.onSyncLost());
  }

  async onApplicationShutdown(): Promise<void> {
    const sub = this.subscriber;
    if (!sub?.isOpen) return;
    try {
      await sub.close();
    } catch {
      sub.destroy();
    }
  }

  /** The caller a presented key stands for, or undefined when it is unknown or revoked. */
  async authenticate(presented: string): Promise<Principal | undefined> {
    const hash = hashKey(presented);
    if (this.adminHash && hashesMatch(hash, this.adminHash)) return ADMIN_PRINCIPAL;
    const prefix = keyPrefix(presented);
    if (!prefix) return undefined;
    const cached = this.cache.get(hash, Date.now(), this.cacheTtlMs());
    if (cached) return cached.principal ?? undefined;
    let lookup = this.inflight.get(hash);
    if (!lookup) {
      lookup = this.lookup(prefix, hash).finally(() => this.inflight.delete(hash));
      this.inflight.set(hash, lookup);
    }
    return (await lookup) ?? undefined;
  }

  async create(k: NewKey): Promise<{ row: ApiKeyEntity; key: string }> {
    const issued = issueKey();
    const row = await this.repo.save(
      this.repo.create({
        name: k.name,
        prefix: issued.prefix,
        keyHash: issued.hash,
        scopes: k.scopes,
        models: k.models ?? null,
        rpm: k.rpm ?? null,
        tpm: k.tpm ?? null,
        dailyBudgetUsd: k.dailyBudgetUsd === undefined ? null : String(k.dailyBudgetUsd),
        revokedAt: null,
      }),
    );
    return { row, key: issued.key };
  }

  list(): Promise<ApiKeyEntity[]> {
    return this.repo.find({ order: { createdAt: 'ASC' } });
  }

  async get(id: string): Promise<ApiKeyEntity> {
    const row = UUID.test(id) ? await this.repo.findOneBy({ id }) : null;
    if (!row) throw new GatewayError('not_found', `No API key with id '${id}'.`);
    return row;
  }

  /** Idempotent; takes effect here at once and on other instances within a second. */
  async revoke(id: string): Promise<ApiKeyEntity> {
    const row = await this.get(id);
    if (!row.revokedAt) {
      await this.repo.update({ id, revokedAt: IsNull() }, { revokedAt: () => 'now()' });
    }
    this.cache.evictKey(id);
    await this.publishRevocation(id);
    return this.get(id);
  }

  private async lookup(prefix: string, hash: string): Promise<Principal | null> {
    const row = await this.repo.findOneBy({ prefix });
    const principal = row && !row.revokedAt && hashesMatch(row.keyHash, hash) ? toPrincipal(row) : null;
    return this.cache.set(hash, principal, Date.now());
  }

  private cacheTtlMs(): number {
    return this.subscribed && this.subscriber?.isReady ? CACHE_TTL_LIVE_MS : CACHE_TTL_UNSYNCED_MS;
  }

  private async subscribe(sub: RedisClientType): Promise<void> {
    if (this.subscribed) return;
    try {
      await sub.subscribe(this.channel, (keyId) => this.cache.evictKey(keyId));
      // Lookups cached while unsynchronised may predate a revocation we missed.
      this.cache.clear();
      this.subscribed = true;
    } catch (err) {
      this.log.warn(
        { err: err instanceof Error ? err.message : String(err) },
        'key revocation sync unavailable',
      );
    }
  }

  private onSyncLost(): void {
    // node-redis resubscribes by itself after a reconnect; until then entries live 1 s.
    this.cache.clear();
  }

  private async publishRevocation(id: string): Promise<void> {
    const client = this.redis.client;
    if (!client) return;
    try {
      await client.publish(this.channel, id);
    } catch (err) {
      // Other instances still see it within CACHE_TTL_UNSYNCED_MS once their subscription notices.
      this.log.warn(
        { err: err instanceof Error ? err.message : String(err) },
        'key revocation not broadcast',
      );
    }
  }
}
