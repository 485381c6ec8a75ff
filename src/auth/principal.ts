/** What a key may do. `admin` implies every other scope. */
export const SCOPES = ['chat', 'embeddings', 'documents', 'templates', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** Scopes a key gets when its creator names none. */
export const DEFAULT_SCOPES: readonly Scope[] = ['chat', 'embeddings', 'documents', 'templates'];

export interface PrincipalLimits {
  /** Requests per minute. */
  readonly rpm?: number;
  /** Prompt + completion tokens per minute. */
  readonly tpm?: number;
  /** Spend per UTC day, at the model registry's prices. */
  readonly dailyBudgetUsd?: number;
}

/**
 * Who is calling: the admin (the master key, or anyone on loopback when auth is off) or an issued
 * key. A key is a tenant: the data it creates is its own.
 */
export interface Principal {
  /** The issued key's id; undefined for the admin. */
  readonly keyId?: string;
  readonly name: string;
  readonly scopes: ReadonlySet<Scope>;
  /** Model names or `provider/*` patterns the key may call; undefined = any. */
  readonly models?: readonly string[];
  readonly limits: PrincipalLimits;
}

export const ADMIN_PRINCIPAL: Principal = {
  name: 'admin',
  scopes: new Set<Scope>(SCOPES),
  limits: {},
};

export function isAdmin(p: Principal): boolean {
  return p.keyId === undefined;
}

/** The tenant that owns data created by `p`: the key id, or `admin`. */
export function tenantOf(p: Principal): string {
  return p.keyId ?? 'admin';
}

export function hasScope(p: Principal, scope: Scope): boolean {
  return p.scopes.has('admin') || p.scopes.has(scope);
}

/** Whether `p` may call `model` (as the client named it: `openai/gpt-4o-mini` or an alias). */
export function mayUseModel(p: Principal, model: string): boolean {
  if (!p.models) return true;
  return p.models.some((pattern) =>
    pattern.endsWith('/*') ? model.startsWith(pattern.slice(0, -1)) : pattern === model,
  );
}

/** Requests carry their caller once authenticated. */
declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}
