import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export const DOCUMENT_STATUSES = ['pending', 'processing', 'processed', 'failed'] as const;
export type DocumentStatus = (typeof DOCUMENT_STATUSES)[number];

/** An uploaded document; its chunks live in the chunk table of its dimension (ChunkStore). */
@Entity('documents')
export class DocumentEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'collection_id', type: 'uuid' })
  collectionId!: string;

  @Column({ type: 'varchar', length: 64 })
  tenant!: string;

  @Column({ name: 'source_name', type: 'varchar', length: 500, nullable: true })
  sourceName!: string | null;

  @Column({ type: 'varchar', length: 100 })
  mime!: string;

  /** sha256 (hex) of the uploaded bytes: the same content twice in one collection is one document. */
  @Column({ name: 'content_hash', type: 'char', length: 64 })
  contentHash!: string;

  @Column({ type: 'jsonb', nullable: true })
  metadata!: Record<string, unknown> | null;

  @Column({ type: 'text' })
  status!: DocumentStatus;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  @Column({ name: 'chunk_count', type: 'integer' })
  chunkCount!: number;

  @Column({ name: 'embedding_model', type: 'varchar', length: 200 })
  embeddingModel!: string;

  @Column({ type: 'integer' })
  dimension!: number;

  @Column({ type: 'integer' })
  bytes!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
