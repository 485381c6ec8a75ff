/** What a cooldown store needs to know about the policy when a failure is recorded. */
export interface CooldownRule {
  failures: number;
  windowMs: number;
  durationMs: number;
}

/**
 * Where target health lives: in process, or in Redis so every instance agrees. `failure` returns
 * the time the target is cooled until (0 while it is not cooled); `all` the targets currently
 * cooled or waiting for their probe (an until in the past means half-open).
 */
export abstract class CooldownStore {
  abstract failure(id: string, rule: CooldownRule, now: boolean): Promise<number>;
  abstract recovered(id: string): Promise<void>;
  /** Claims the single half-open probe of a target, for `ttlMs`. */
  abstract claimProbe(id: string, ttlMs: number): Promise<boolean>;
  /** Gives the probe back without a verdict (the caller went away, say). */
  abstract releaseProbe(id: string): Promise<void>;
  abstract all(): Promise<Map<string, number>>;
}

/** One process's view. */
export class MemoryCooldownStore extends CooldownStore {
  private readonly cooled = new Map<string, number>();
  private readonly failures = new Map<string, { count: number; windowEnds: number }>();
  private readonly probes = new Map<string, number>();

  failure(id: string, rule: CooldownRule, now: boolean): Promise<number> {
    const t = Date.now();
    let f = this.failures.get(id);
    if (!f || f.windowEnds <= t) {
      f = { count: 0, windowEnds: t + rule.windowMs };
      this.failures.set(id, f);
    }
    f.count++;
    if (!now && f.count < rule.failures) return Promise.resolve(0);
    this.failures.delete(id);
    this.probes.delete(id);
    const until = t + rule.durationMs;
    this.cooled.set(id, until);
    return Promise.resolve(until);
  }

  recovered(id: string): Promise<void> {
    this.cooled.delete(id);
    this.probes.delete(id);
    this.failures.delete(id);
    return Promise.resolve();
  }

  claimProbe(id: string, ttlMs: number): Promise<boolean> {
    const t = Date.now();
    if ((this.probes.get(id) ?? 0) > t) return Promise.resolve(false);
    this.probes.set(id, t + ttlMs);
    return Promise.resolve(true);
  }

  releaseProbe(id: string): Promise<void> {
    this.probes.delete(id);
    return Promise.resolve();
  }

  all(): Promise<Map<string, number>> {
    return Promise.resolve(new Map(this.cooled));
  }
}
