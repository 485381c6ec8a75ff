import { Injectable } from '@nestjs/common';
import { type Principal, tenantOf } from '../auth/principal.js';
import { GatewayError } from '../common/errors/gateway-error.js';
import type { PromptTemplateEntity } from './prompt-template.entity.js';
import { TemplateRenderError } from './renderer/template-nodes.js';
import { renderTemplate } from './renderer/template-renderer.js';
import type { CompiledTemplate } from './template.cache.js';
import { defineTemplate, TEMPLATE_NAME_PATTERN, type TemplateDefinition } from './template-definition.js';
import { TemplatesCacheService } from './templates-cache.service.js';
import { type ListPage, notFound, TemplatesRepository } from './templates.repository.js';
import type { JsonSchemaObject } from './variables-schema.js';

/**
 * The tenant of templates the admin shares with every key (`?tenant=shared` on the admin's requests).
 * Key ids are UUIDs and the admin's own tenant is `admin`, so no key can own this name.
 */
export const SHARED_TEMPLATES = 'shared';

export interface NewTemplate {
  name: string;
  content: string;
  variables: JsonSchemaObject;
  description?: string;
}

export interface NewTemplateVersion {
  content: string;
  /** Omitted: the previous version's schema. */
  variables?: JsonSchemaObject;
  /** Omitted: the previous version's; null clears it. */
  description?: string | null;
}

/** Which template to render, as a chat request names it (`template` in the body). */
export interface TemplateInvocation {
  name: string;
  version?: number;
  variables?: unknown;
}

export interface RenderedTemplate {
  name: string;
  version: number;
  /** Whether it was a shared template (the tenant has none of that name). */
  shared: boolean;
  text: string;
}

export interface TemplateWithVersions {
  template: PromptTemplateEntity;
  latestVersion: number;
  versions: Array<Pick<PromptTemplateEntity, 'version' | 'createdAt'>>;
}

/** Where the caller's fields sit in its request, for the `param` of errors. */
interface Params {
  name: string;
  version: string;
  variables: string;
}

const API_PARAMS: Params = { name: 'name', version: 'version', variables: 'variables' };
const CHAT_PARAMS: Params = {
  name: 'template.name',
  version: 'template.version',
  variables: 'template.variables',
};

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Stored prompt templates: versions are immutable rows (a PUT appends one), rendered through the
 * compiled-template cache. Tenants are strings (`tenantOf(principal)`); callers decide which tenant a
 * request may address. A tenant reads its own templates and, under names it does not use itself,
 * the shared ones (SHARED_TEMPLATES); only the shared tenant's own writer (the admin) changes those.
 */
@Injectable()
export class TemplatesService {
  constructor(
    private readonly repo: TemplatesRepository,
    private readonly caches: TemplatesCacheService,
  ) {}

  async create(tenant: string, input: NewTemplate): Promise<PromptTemplateEntity> {
    const definition = defineTemplate(input.content, input.variables);
    const row = await this.repo.insertFirst(tenant, input.name, {
      content: input.content,
      variables: input.variables,
      description: input.description ?? null,
    });
    // The name may have stood for a shared template for this tenant until now.
    if (tenant !== SHARED_TEMPLATES) await this.caches.invalidate(tenant, input.name);
    this.remember(row, definition);
    return row;
  }

  async addVersion(tenant: string, name: string, input: NewTemplateVersion): Promise<PromptTemplateEntity> {
    // With a schema of its own the version is checked before touching the database.
    const own = input.variables === undefined ? undefined : defineTemplate(input.content, input.variables);
    let definition = own;
    const row = await this.repo
      .insertNext(tenant, name, (latest) => {
        const variables = input.variables ?? latest.variables;
        definition = own ?? defineTemplate(input.content, variables);
        return {
          content: input.content,
          variables,
          description: input.description === undefined ? latest.description : input.description,
        };
      })
      .catch((err: unknown) => this.sharedIsReadOnly(err, tenant, name));
    await this.caches.invalidate(tenant, name);
    if (definition) this.remember(row, definition);
    return row;
  }

  /** As `tenant` sees it: its own template of that name, else a shared one. */
  async get(tenant: string, name: string, version?: number): Promise<TemplateWithVersions> {
    const owner = await this.ownerOf(tenant, name);
    const template = await this.repo.findVersion(owner, name, version);
    if (!template) throw notFound(name, version, version === undefined ? 'name' : 'version');
    const versions = await this.repo.listVersions(owner, name);
    return { template, latestVersion: versions[0]?.version ?? template.version, versions };
  }

  list(page: ListPage): Promise<PromptTemplateEntity[]> {
    return this.repo.listLatest(page);
  }

  async remove(tenant: string, name: string): Promise<void> {
    const deleted = await this.repo.deleteAll(tenant, name);
    if (deleted === 0) await this.sharedIsReadOnly(notFound(name, undefined, 'name'), tenant, name);
    await this.caches.invalidate(tenant, name);
  }

  /**
   * Whose template `name` is for a reader in `tenant`: its own if it has one, else the shared one. A
   * version its own template lacks is therefore not looked for among the shared ones.
   */
  private async ownerOf(tenant: string, name: string): Promise<string> {
    if (tenant === SHARED_TEMPLATES || (await this.repo.exists(tenant, name))) return tenant;
    return (await this.repo.exists(SHARED_TEMPLATES, name)) ? SHARED_TEMPLATES : tenant;
  }

  /** Rethrows `err`, as a 403 when the tenant tried to change a shared template it can only read. */
  private async sharedIsReadOnly(err: unknown, tenant: string, name: string): Promise<never> {
    const missing = err instanceof GatewayError && err.code === 'not_found';
    if (missing && tenant !== SHARED_TEMPLATES && (await this.repo.exists(SHARED_TEMPLATES, name))) {
      throw new GatewayError(
        'permission_error',
        `Template '${name}' is shared by the admin; only the admin can change it.`,
        { param: 'name' },
      );
    }
    throw err;
  }

  /** `POST /api/templates/:name/render`. */
  render(tenant: string, invocation: TemplateInvocation): Promise<RenderedTemplate> {
    return this.renderAs(tenant, invocation, API_PARAMS);
  }

  /**
   * Renders a stored template for a chat request's `template` field, as `principal`'s tenant sees it.
   * Throws `GatewayError`: 404 `not_found` for an unknown template or version (param `template.name`
   * or `template.version`), 400 `invalid_request_error` for variables that do not match the schema
   * (param `template.variables.<name>`) or a rendering over its bounds.
   */
  renderForChat(principal: Principal, invocation: TemplateInvocation): Promise<RenderedTemplate> {
    return this.renderAs(tenantOf(principal), invocation, CHAT_PARAMS);
  }

  private async renderAs(
    tenant: string,
    invocation: TemplateInvocation,
    params: Params,
  ): Promise<RenderedTemplate> {
    const { name, version } = invocation;
    if (typeof name !== 'string' || !TEMPLATE_NAME_PATTERN.test(name)) {
      throw new GatewayError('invalid_request_error', 'Invalid template name.', { param: params.name });
    }
    if (version !== undefined && (!Number.isSafeInteger(version) || version < 1)) {
      throw new GatewayError('invalid_request_error', 'The template version must be a positive integer.', {
        param: params.version,
      });
    }
    const variables = invocation.variables ?? {};
    if (!isPlainObject(variables)) {
      throw new GatewayError('invalid_request_error', 'Template variables must be a JSON object.', {
        param: params.variables,
      });
    }
    const compiled = await this.load(tenant, name, version, params);
    const problem = compiled.variables.validate(variables);
    if (problem) {
      const param = problem.path === '' ? params.variables : `${params.variables}.${problem.path}`;
      throw new GatewayError('invalid_request_error', problem.message, { param });
    }
    try {
      return {
        name,
        version: compiled.version,
        shared: compiled.tenant === SHARED_TEMPLATES,
        text: renderTemplate(compiled.template, variables),
      };
    } catch (err) {
      if (!(err instanceof TemplateRenderError)) throw err;
      throw new GatewayError('invalid_request_error', err.message, { param: params.variables });
    }
  }

  private async load(
    tenant: string,
    name: string,
    version: number | undefined,
    params: Params,
  ): Promise<CompiledTemplate> {
    const cache = this.caches.cache;
    const now = Date.now();
    let ref = cache.ref(tenant, name, version, now);
    if (!ref) {
      const generation = cache.generation;
      // Only on a mapping-cache miss: which tenant's template, then which of its versions.
      ref = await this.repo.findRef(await this.ownerOf(tenant, name), name, version);
      if (!ref) throw notFound(name, version, version === undefined ? params.name : params.version);
      cache.rememberRef(tenant, name, version, ref, generation, this.caches.refExpiry(now));
    }
    const hit = cache.compiledOf(ref.id);
    if (hit) return hit;
    const row = await this.repo.findById(ref.id);
    if (!row) {
      // Deleted since the mapping was cached (an invalidation this instance missed).
      cache.invalidate(tenant, name);
      throw notFound(name, version, version === undefined ? params.name : params.version);
    }
    return this.remember(row, defineTemplate(row.content, row.variables));
  }

  private remember(row: PromptTemplateEntity, definition: TemplateDefinition): CompiledTemplate {
    const compiled: CompiledTemplate = {
      ...definition,
      id: row.id,
      tenant: row.tenant,
      name: row.name,
      version: row.version,
      weight: row.content.length,
    };
    this.caches.cache.rememberCompiled(compiled);
    return compiled;
  }
}
