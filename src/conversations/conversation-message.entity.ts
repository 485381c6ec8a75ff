import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A message's content as OpenAI has it: text, content parts, or null. */
export type MessageContent = string | Array<Record<string, unknown>> | null;

/** One stored turn part: OpenAI message fields plus what the gateway knew about the answer. */
@Entity('conversation_messages')
export class ConversationMessageEntity {
  /** bigserial: comes back from pg as a string. */
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'conversation_id', type: 'uuid' })
  conversationId!: string;

  @Column({ type: 'integer' })
  seq!: number;

  @Column({ type: 'varchar', length: 16 })
  role!: string;

  /** A string, an array of content parts, or null (an assistant message with only tool calls). */
  @Column({ type: 'jsonb', nullable: true })
  content!: MessageContent;

  @Column({ type: 'varchar', length: 200, nullable: true })
  name!: string | null;

  @Column({ name: 'tool_calls', type: 'jsonb', nullable: true })
  toolCalls!: Array<Record<string, unknown>> | null;

  @Column({ name: 'tool_call_id', type: 'varchar', length: 200, nullable: true })
  toolCallId!: string | null;

  @Column({ type: 'varchar', length: 200, nullable: true })
  model!: string | null;

  @Column({ type: 'varchar', length: 300, nullable: true })
  target!: string | null;

  @Column({ name: 'prompt_tokens', type: 'integer', nullable: true })
  promptTokens!: number | null;

  @Column({ name: 'completion_tokens', type: 'integer', nullable: true })
  completionTokens!: number | null;

  @Column({ type: 'varchar', length: 16, nullable: true })
  cache!: string | null;

  @Column({ name: 'finish_reason', type: 'varchar', length: 32, nullable: true })
  finishReason!: string | null;

  /** `{ name, version }` of the template that made the system prompt of this answer. */
  @Column({ type: 'jsonb', nullable: true })
  template!: { name: string; version: number } | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
