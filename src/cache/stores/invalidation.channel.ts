import type { RedisClientType } from '@redis/client';

export type InvalidationOp = 'key' | 'glob';

/** What travels on `<keyPrefix>cache:invalidate`. */
export interface InvalidationMessage {
  origin: string;
  op: InvalidationOp;
  value: string;
}

export interface InvalidationChannelOptions {
  /** The shared client, which publishes; a duplicate of it subscribes. */
  client: RedisClientType;
  channel: string;
  instanceId: string;
  /** Interval of the end-to-end check; silence for three intervals means unsynchronised. */
  heartbeatMs: number;
  /** Another instance changed or removed entries. */
  onInvalidate(op: InvalidationOp, value: string): void;
  /** Synchronised: every invalidation published from now on will arrive. */
  onSyncChange(synced: boolean): void;
  onError(err: unknown): void;
}

function isInvalidation(value: unknown): value is InvalidationMessage {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  return typeof m.origin === 'string' && (m.op === 'key' || m.op === 'glob') && typeof m.value === 'string';
}

/**
 * Publishes and receives cache invalidations, and knows whether it can be trusted to receive them.
 * Synchronised means: subscribed, and a ping this instance published on its own ping channel after the
 * last disruption has come back on the subscribing connection; any disruption (error, reconnect, three
 * heartbeats without an echo) ends it. Pub/sub keeps nothing for an absent subscriber, so whatever was
 * published while unsynchronised is lost, and the owner must act as if everything had been invalidated.
 */
export class InvalidationChannel {
  private readonly subscriber: RedisClientType;
  private readonly pingChannel: string;
  private readonly heartbeat: NodeJS.Timeout;
  private state: 'idle' | 'subscribing' | 'subscribed' = 'idle';
  private synced = false;
  private nextPing = 0;
  /** The first ping whose echo may end an unsynchronised spell. */
  private pingsFrom = 0;
  private lastEchoAt = 0;
  private closed = false;

  constructor(private readonly o: InvalidationChannelOptions) {
    this.pingChannel = `${o.channel}:ping:${o.instanceId}`;
    this.subscriber = o.client.duplicate();
    this.subscriber.on('error', (err: unknown) => this.disrupted(err));
    this.subscriber.on('reconnecting', () => this.disrupted());
    this.subscriber.on('end', () => this.disrupted());
    // The client resubscribes before it reports ready after a reconnect.
    this.subscriber.on('ready', () => void this.subscribe());
    this.subscriber.connect().catch((err: unknown) => this.disrupted(err));
    this.heartbeat = setInterval(() => this.beat(), o.heartbeatMs);
    this.heartbeat.unref();
  }

  get isSynced(): boolean {
    return this.synced;
  }

  /** Resolves once Redis took the message; failures go to `onError`. */
  async publish(op: InvalidationOp, value: string): Promise<void> {
    const message: InvalidationMessage = { origin: this.o.instanceId, op, value };
    try {
      await this.o.client.publish(this.o.channel, JSON.stringify(message));
    } catch (err) {
      this.o.onError(err);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeat);
    this.setSynced(false);
    if (this.subscriber.isOpen) this.subscriber.destroy();
  }

  private async subscribe(): Promise<void> {
    if (this.state === 'idle') {
      this.state = 'subscribing';
      try {
        await this.subscriber.subscribe([this.o.channel, this.pingChannel], (message, channel) =>
          this.onMessage(message, channel),
        );
        this.state = 'subscribed';
      } catch (err) {
        // Listeners are registered only on success, so retrying (next ready or heartbeat) is safe.
        this.state = 'idle';
        this.disrupted(err);
        return;
      }
    }
    await this.ping();
  }

  private beat(): void {
    if (this.synced && performance.now() - this.lastEchoAt > 3 * this.o.heartbeatMs) this.disrupted();
    if (this.state === 'idle' && this.subscriber.isReady) void this.subscribe();
    else if (this.state === 'subscribed') void this.ping();
  }

  private async ping(): Promise<void> {
    try {
      await this.o.client.publish(this.pingChannel, String(this.nextPing++));
    } catch {
      // The shared client is down and says so itself; the missing echo ends synchronisation.
    }
  }

  private onMessage(message: string, channel: string): void {
    if (channel === this.pingChannel) {
      this.lastEchoAt = performance.now();
      if (Number(message) >= this.pingsFrom && this.subscriber.isReady) this.setSynced(true);
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch {
      return;
    }
    if (isInvalidation(parsed) && parsed.origin !== this.o.instanceId)
      this.o.onInvalidate(parsed.op, parsed.value);
  }

  private disrupted(err?: unknown): void {
    this.pingsFrom = this.nextPing;
    if (err !== undefined && this.synced && !this.closed) this.o.onError(err);
    this.setSynced(false);
  }

  private setSynced(synced: boolean): void {
    if (this.synced === synced || (synced && this.closed)) return;
    this.synced = synced;
    this.o.onSyncChange(synced);
  }
}
