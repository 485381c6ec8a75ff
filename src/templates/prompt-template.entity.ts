import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { JsonSchemaObject } from './variables-schema.js';

/** One version of a prompt template. Rows are never updated: a new version is a new row. */
@Entity('prompt_templates')
export class PromptTemplateEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** The key id that created it, or `admin` (see `tenantOf`). */
  @Column({ type: 'text' })
  tenant!: string;

  @Column({ type: 'varchar', length: 128 })
  name!: string;

  @Column({ type: 'integer' })
  version!: number;

  @Column({ type: 'text' })
  content!: string;

  /** JSON Schema of the variables object. */
  @Column({ type: 'jsonb' })
  variables!: JsonSchemaObject;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
