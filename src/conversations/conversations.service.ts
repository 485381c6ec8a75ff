import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import type { DataSource, QueryDeepPartialEntity, Repository } from 'typeorm';
import { isAdmin, type Principal, tenantOf } from '../auth/principal.js';
import { GatewayError } from '../common/errors/gateway-error.js';
import { returnedRows } from '../database/sql-result.js';
import { ConversationMessageEntity, type MessageContent } from './conversation-message.entity.js';
import { ConversationEntity } from './conversation.entity.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const MAX_PAGE = 100;

/** A message to store: OpenAI fields plus what the gateway knew about an answer. */
export interface NewMessage {
  role: string;
  content: MessageContent;
  name?: string;
  toolCalls?: Array<Record<string, unknown>>;
  toolCallId?: string;
  model?: string;
  target?: string;
  promptTokens?: number;
  completionTokens?: number;
  cache?: string;
  finishReason?: string;
  template?: { name: string; version: number };
}

export interface NewConversation {
  title?: string;
  systemPrompt?: string;
  model?: string;
  metadata?: Record<string, unknown>;
  messages?: NewMessage[];
}

export interface ConversationPage {
  data: ConversationEntity[];
  /** Pass as `cursor` for the next page; null on the last one. */
  nextCursor: string | null;
}

/** Keyset cursor over (updated_at DESC, id DESC). */
function encodeCursor(c: ConversationEntity): string {
  return Buffer.from(`${c.updatedAt.toISOString()}|${c.id}`).toString('base64url');
}

function decodeCursor(cursor: string): { at: Date; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const date = new Date(at ?? '');
  if (!id || !UUID.test(id) || Number.isNaN(date.getTime())) {
    throw new GatewayError('invalid_request_error', 'Invalid cursor.', { param: 'cursor' });
  }
  return { at: date, id };
}

/**
 * Stored conversations, owned by the tenant (key) that created them; the admin sees all, any other
 * key gets 404. Appends are atomic and ordered: one transaction takes the conversation's row lock
 * by bumping `last_seq`, then inserts the new messages with the numbers it reserved.
 */
@Injectable()
export class ConversationsService {
  constructor(
    @InjectRepository(ConversationEntity) private readonly conversations: Repository<ConversationEntity>,
    @InjectRepository(ConversationMessageEntity)
    private readonly messages: Repository<ConversationMessageEntity>,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  async create(principal: Principal, c: NewConversation): Promise<ConversationEntity> {
    return this.db.transaction(async (tx) => {
      const row = await tx.getRepository(ConversationEntity).save({
        tenant: tenantOf(principal),
        title: c.title ?? null,
        systemPrompt: c.systemPrompt ?? null,
        model: c.model ?? null,
        metadata: c.metadata ?? null,
        lastSeq: c.messages?.length ?? 0,
      });
      if (c.messages?.length) {
        await tx
          .getRepository(ConversationMessageEntity)
          .insert(c.messages.map((m, i) => this.toRow(row.id, i + 1, m)));
      }
      return row;
    });
  }

  async list(principal: Principal, limit = 20, cursor?: string): Promise<ConversationPage> {
    const take = Math.min(Math.max(1, limit), MAX_PAGE);
    const q = this.conversations
      .createQueryBuilder('c')
      .orderBy('c.updated_at', 'DESC')
      .addOrderBy('c.id', 'DESC')
      .take(take + 1);
    if (!isAdmin(principal)) q.where('c.tenant = :tenant', { tenant: tenantOf(principal) });
    if (cursor) {
      const { at, id } = decodeCursor(cursor);
      q.andWhere('(c.updated_at, c.id) < (:at, :id)', { at, id });
    }
    const rows = await q.getMany();
    const page = rows.slice(0, take);
    const last = page[page.length - 1];
    return { data: page, nextCursor: rows.length > take && last ? encodeCursor(last) : null };
  }

  /** The conversation, or 404 when it does not exist or belongs to another tenant. */
  async get(principal: Principal, id: string): Promise<ConversationEntity> {
    const row = UUID.test(id) ? await this.conversations.findOneBy({ id }) : null;
    if (!row || (!isAdmin(principal) && row.tenant !== tenantOf(principal))) {
      throw new GatewayError('not_found', `No conversation '${id}'.`, { param: 'conversation_id' });
    }
    return row;
  }

  async history(
    principal: Principal,
    id: string,
  ): Promise<{
    conversation: ConversationEntity;
    messages: ConversationMessageEntity[];
  }> {
    const conversation = await this.get(principal, id);
    const messages = await this.messages.find({ where: { conversationId: id }, order: { seq: 'ASC' } });
    return { conversation, messages };
  }

  async remove(principal: Principal, id: string): Promise<void> {
    await this.get(principal, id);
    await this.conversations.delete({ id });
  }

  /**
   * Appends `messages` in order, atomically: concurrent appends to one conversation serialise on its
   * row lock, so each call's messages stay together and numbered without gaps. 404 when the
   * conversation is gone (deleted meanwhile) or not the caller's.
   */
  async append(principal: Principal, id: string, messages: NewMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.db.transaction(async (tx) => {
      const params: unknown[] = [messages.length, id];
      let tenantClause = '';
      if (!isAdmin(principal)) {
        params.push(tenantOf(principal));
        tenantClause = ' AND tenant = $3';
      }
      const rows: unknown = await tx.query(
        `UPDATE conversations SET last_seq = last_seq + $1, updated_at = now()
         WHERE id = $2${tenantClause} RETURNING last_seq`,
        params,
      );
      const lastSeq = firstLastSeq(rows);
      if (lastSeq === undefined) {
        throw new GatewayError('not_found', `No conversation '${id}'.`, { param: 'conversation_id' });
      }
      const first = lastSeq - messages.length + 1;
      await tx
        .getRepository(ConversationMessageEntity)
        .insert(messages.map((m, i) => this.toRow(id, first + i, m)));
    });
  }

  private toRow(
    conversationId: string,
    seq: number,
    m: NewMessage,
  ): QueryDeepPartialEntity<ConversationMessageEntity> {
    const row: Omit<ConversationMessageEntity, 'id' | 'createdAt'> = {
      conversationId,
      seq,
      role: m.role,
      // jsonb (TypeORM serialises it): a JSON string for text, the parts array, or SQL NULL.
      content: m.content ?? null,
      name: m.name ?? null,
      toolCalls: m.toolCalls ?? null,
      toolCallId: m.toolCallId ?? null,
      model: m.model ?? null,
      target: m.target ?? null,
      promptTokens: m.promptTokens ?? null,
      completionTokens: m.completionTokens ?? null,
      cache: m.cache ?? null,
      finishReason: m.finishReason ?? null,
      template: m.template ?? null,
    };
    // jsonb columns: TypeORM's deep-partial type cannot express unions of JSON values.
    return row as QueryDeepPartialEntity<ConversationMessageEntity>;
  }
}

function firstLastSeq(result: unknown): number | undefined {
  const v = returnedRows<{ last_seq?: unknown }>(result)[0]?.last_seq;
  return typeof v === 'number' ? v : v === undefined ? undefined : Number(v);
}
