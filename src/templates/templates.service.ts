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
 * request may address.
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
    this.remember(row, definition);
    return row;
  }

  async addVersion(tenant: string, name: string, input: NewTemplateVersion): Promise<PromptTemplateEntity> {
    // With a schema of its own the version is checked before touching the database.
    const own = input.variables === undefined ? undefined : defineTemplate(input.content, input.variables);
    let definition = own;
    const row = await this.repo.insertNext(tenant, name, (latest) => {
      const variables = input.variables ?? latest.variables;
      definition = own ?? defineTemplate(input.content, variables);
      return {
        content: input.content,
        variables,
        description: input.description === undefined ? latest.description : input.description,
      };
    });
    await this.caches.invalidate(tenant, name);
    if (definition) this.remember(row, definition);
    return row;
  }

  async get(tenant: string, name: string, version?: number): Promise<TemplateWithVersions> {
    const template = await this.repo.findVersion(tenant, name, version);
    if (!template) throw notFound(name, version, version === undefined ? 'name' : 'version');
    const versions = await this.repo.listVersions(tenant, name);
    return { template, latestVersion: versions[0]?.version ?? template.version, versions };
  }

  list(page: ListPage): Promise<PromptTemplateEntity[]> {
    return this.repo.listLatest(page);
  }

  async remove(tenant: string, name: string): Promise<void> {
    const deleted = await this.repo.deleteAll(tenant, name);
    if (deleted === 0) throw notFound(name, undefined, 'name');
    await this.caches.invalidate(tenant, name);
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
      return { name, version: compiled.version, text: renderTemplate(compiled.template, variables) };
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
      ref = await this.repo.findRef(tenant, name, version);
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
