import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A named set of documents owned by one tenant. Its embedding model and dimension are fixed when it
 * is created (by the first upload), so every chunk in it is comparable with every query.
 */
@Entity('collections')
export class CollectionEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 64 })
  tenant!: string;

  @Column({ type: 'varchar', length: 128 })
  name!: string;

  @Column({ name: 'embedding_model', type: 'varchar', length: 200 })
  embeddingModel!: string;

  @Column({ type: 'integer' })
  dimension!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
