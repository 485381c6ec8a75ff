import { LruMap } from './lru-map.js';
import type { TemplateDefinition } from './template-definition.js';

/** Which stored row a name (and optional version) stands for. */
export interface VersionRef {
  readonly id: string;
  /** The tenant that owns the row: the reader's own, or the shared templates'. */
  readonly tenant: string;
  readonly version: number;
}

/** A stored version, parsed and with its schema compiled. Rows are immutable, so this never goes stale. */
export interface CompiledTemplate extends TemplateDefinition {
  readonly id: string;
  readonly tenant: string;
  readonly name: string;
  readonly version: number;
  /** Rough memory cost: the content's length. */
  readonly weight: number;
}

export interface TemplateCacheStats {
  compiled: number;
  compiledBytes: number;
  refs: number;
  refHits: number;
  refMisses: number;
  compiledHits: number;
  compiledMisses: number;
}

export const MAX_COMPILED_TEMPLATES = 1000;
const MAX_COMPILED_WEIGHT = 32 * 1024 * 1024;
const MAX_REFS = 10_000;

function refKey(tenant: string, name: string, version?: number): string {
  return `${tenant}\u0000${name}\u0000${version ?? 'latest'}`;
}

/**
 * Compiled templates by row id (an LRU), and the name → row mapping for "latest" and for explicit
 * versions, which PUT and DELETE change. Mappings expire (the caller picks the lifetime from whether
 * invalidations can reach it) and are dropped by `invalidate`. A mapping read from the database is
 * remembered only if no invalidation happened while it was being read, so a read that raced a PUT
 * never caches the old version.
 */
export class TemplateCache {
  private readonly compiled = new LruMap<string, CompiledTemplate>(
    MAX_COMPILED_TEMPLATES,
    MAX_COMPILED_WEIGHT,
    (t) => t.weight,
  );
  private readonly refs = new LruMap<string, { ref: VersionRef; expiresAt: number }>(MAX_REFS);
  private invalidations = 0;
  private readonly counters = { refHits: 0, refMisses: 0, compiledHits: 0, compiledMisses: 0 };

  /** Take before a database read whose result goes to `rememberRef`. */
  get generation(): number {
    return this.invalidations;
  }

  ref(tenant: string, name: string, version: number | undefined, now: number): VersionRef | undefined {
    const key = refKey(tenant, name, version);
    const entry = this.refs.get(key);
    if (entry && entry.expiresAt > now) {
      this.counters.refHits++;
      return entry.ref;
    }
    if (entry) this.refs.delete(key);
    this.counters.refMisses++;
    return undefined;
  }

  rememberRef(
    tenant: string,
    name: string,
    version: number | undefined,
    ref: VersionRef,
    readAtGeneration: number,
    expiresAt: number,
  ): void {
    if (readAtGeneration !== this.invalidations) return;
    this.refs.set(refKey(tenant, name, version), { ref, expiresAt });
  }

  compiledOf(id: string): CompiledTemplate | undefined {
    const hit = this.compiled.get(id);
    if (hit) this.counters.compiledHits++;
    else this.counters.compiledMisses++;
    return hit;
  }

  rememberCompiled(template: CompiledTemplate): void {
    this.compiled.set(template.id, template);
  }

  /**
   * A template changed (new version) or was deleted: its owner's mappings go, and so do other
   * tenants' mappings of that name to the owner's rows (readers of a shared template).
   */
  invalidate(tenant: string, name: string): void {
    this.invalidations++;
    const prefix = `${tenant}\u0000${name}\u0000`;
    const infix = `\u0000${name}\u0000`;
    this.refs.deleteWhere(
      (key, entry) => key.startsWith(prefix) || (entry.ref.tenant === tenant && key.includes(infix)),
    );
    // Rows of a deleted template can no longer be reached; free their memory now.
    this.compiled.deleteWhere((_, t) => t.tenant === tenant && t.name === name);
  }

  /** Invalidations may have been missed: forget every mapping. */
  clearRefs(): void {
    this.invalidations++;
    this.refs.clear();
  }

  clear(): void {
    this.clearRefs();
    this.compiled.clear();
  }

  stats(): TemplateCacheStats {
    return {
      compiled: this.compiled.size,
      compiledBytes: this.compiled.weight,
      refs: this.refs.size,
      ...this.counters,
    };
  }
}
