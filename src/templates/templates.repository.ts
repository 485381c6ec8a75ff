import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, QueryFailedError, type Repository } from 'typeorm';
import { GatewayError } from '../common/errors/gateway-error.js';
import { PromptTemplateEntity } from './prompt-template.entity.js';
import type { VersionRef } from './template.cache.js';
import type { JsonSchemaObject } from './variables-schema.js';

/** Version numbers listed with a template, newest first; older ones are still stored and renderable. */
export const MAX_LISTED_VERSIONS = 1000;
/** Writers that lose a race on a version number try again this many times. */
const MAX_INSERT_ATTEMPTS = 5;

export interface TemplateFields {
  content: string;
  variables: JsonSchemaObject;
  description: string | null;
}

export interface ListPage {
  /** Undefined: every tenant (the admin's listing). */
  tenants?: readonly string[];
  /** Keyset: the (tenant, name) the previous page ended with. */
  after?: readonly [string, string];
  offset?: number;
  limit: number;
}

function isUniqueViolation(err: unknown): boolean {
  if (!(err instanceof QueryFailedError)) return false;
  const driverError = err.driverError as { code?: unknown } | undefined;
  return driverError?.code === '23505';
}

/**
 * Storage of template versions. New versions are numbered max + 1 under a transaction-scoped advisory
 * lock per (tenant, name), so concurrent PUTs queue instead of colliding; DELETE takes the same lock, so
 * a PUT never resurrects a template being deleted. A unique violation (the index is the final word)
 * is retried.
 */
@Injectable()
export class TemplatesRepository {
  constructor(
    @InjectRepository(PromptTemplateEntity) private readonly repo: Repository<PromptTemplateEntity>,
  ) {}

  async insertFirst(tenant: string, name: string, fields: TemplateFields): Promise<PromptTemplateEntity> {
    const taken = (): GatewayError =>
      new GatewayError(
        'invalid_request_error',
        `A template named '${name}' already exists; PUT /api/templates/${name} adds a version.`,
        { param: 'name' },
      );
    // Checked first so the common case is not a failed (and logged) INSERT; the index settles races.
    if (await this.repo.exists({ where: { tenant, name } })) throw taken();
    try {
      return await this.repo.save(this.repo.create({ tenant, name, version: 1, ...fields }));
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      throw taken();
    }
  }

  /**
   * Appends version latest + 1, built from the latest (`next` may throw to refuse it). Throws 404 when
   * the template does not exist.
   */
  async insertNext(
    tenant: string,
    name: string,
    next: (latest: PromptTemplateEntity) => TemplateFields,
  ): Promise<PromptTemplateEntity> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.repo.manager.transaction(async (m) => {
          await this.lock(m, tenant, name);
          const latest = await m.findOne(PromptTemplateEntity, {
            where: { tenant, name },
            order: { version: 'DESC' },
          });
          if (!latest) throw notFound(name);
          const fields = next(latest);
          return m.save(
            m.create(PromptTemplateEntity, { tenant, name, version: latest.version + 1, ...fields }),
          );
        });
      } catch (err) {
        if (!isUniqueViolation(err) || attempt >= MAX_INSERT_ATTEMPTS) throw err;
      }
    }
  }

  /** Deletes every version; the number deleted. */
  async deleteAll(tenant: string, name: string): Promise<number> {
    return this.repo.manager.transaction(async (m) => {
      await this.lock(m, tenant, name);
      const result = await m.delete(PromptTemplateEntity, { tenant, name });
      return result.affected ?? 0;
    });
  }

  /** The row `name` (at `version`, or its latest) stands for. */
  async findRef(tenant: string, name: string, version?: number): Promise<VersionRef | undefined> {
    const row = await this.repo.findOne({
      select: { id: true, version: true },
      where: version === undefined ? { tenant, name } : { tenant, name, version },
      order: { version: 'DESC' },
    });
    return row ? { id: row.id, tenant, version: row.version } : undefined;
  }

  /** Whether `tenant` has a template named `name` (some version of it). */
  async exists(tenant: string, name: string): Promise<boolean> {
    return this.repo.exists({ where: { tenant, name } });
  }

  async findById(id: string): Promise<PromptTemplateEntity | undefined> {
    return (await this.repo.findOne({ where: { id } })) ?? undefined;
  }

  async findVersion(
    tenant: string,
    name: string,
    version?: number,
  ): Promise<PromptTemplateEntity | undefined> {
    const row = await this.repo.findOne({
      where: version === undefined ? { tenant, name } : { tenant, name, version },
      order: { version: 'DESC' },
    });
    return row ?? undefined;
  }

  async listVersions(
    tenant: string,
    name: string,
  ): Promise<Array<Pick<PromptTemplateEntity, 'version' | 'createdAt'>>> {
    return this.repo.find({
      select: { version: true, createdAt: true },
      where: { tenant, name },
      order: { version: 'DESC' },
      take: MAX_LISTED_VERSIONS,
    });
  }

  /** The latest version of each template, by (tenant, name); one more than `limit` tells whether more follow. */
  async listLatest(page: ListPage): Promise<PromptTemplateEntity[]> {
    const q = this.repo
      .createQueryBuilder('t')
      .distinctOn(['t.tenant', 't.name'])
      .orderBy('t.tenant', 'ASC')
      .addOrderBy('t.name', 'ASC')
      .addOrderBy('t.version', 'DESC')
      .limit(page.limit + 1)
      .offset(page.offset ?? 0);
    if (page.tenants !== undefined) q.andWhere('t.tenant IN (:...tenants)', { tenants: page.tenants });
    if (page.after) {
      q.andWhere('(t.tenant, t.name) > (:afterTenant, :afterName)', {
        afterTenant: page.after[0],
        afterName: page.after[1],
      });
    }
    return q.getMany();
  }

  private async lock(m: EntityManager, tenant: string, name: string): Promise<void> {
    await m.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
      `prompt_templates/${tenant}/${name}`,
    ]);
  }
}

export function notFound(name: string, version?: number, param?: string): GatewayError {
  return new GatewayError(
    'not_found',
    version === undefined ? `No template named '${name}'.` : `Template '${name}' has no version ${version}.`,
    param === undefined ? {} : { param },
  );
}
