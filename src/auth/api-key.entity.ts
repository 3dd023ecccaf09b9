import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Role } from './permissions.js';

@Entity({ name: 'api_keys' })
export class ApiKeyEntity {
  @PrimaryColumn('uuid') id: string;
  @Column({ type: 'uuid', name: 'org_id' }) orgId: string;
  @Column('text') name: string;
  @Column('text') role: Role;
  @Column({ type: 'bytea', name: 'key_hash' }) keyHash: Buffer;
  @Column({ type: 'text', name: 'key_hint' }) keyHint: string;
  @Column({ type: 'timestamptz', name: 'created_at' }) createdAt: Date;
  @Column({ type: 'timestamptz', name: 'revoked_at', nullable: true }) revokedAt: Date | null;
  /** Truncated to the minute; written at most once a minute per key (SPEC §15a). */
  @Column({ type: 'timestamptz', name: 'last_used_at', nullable: true }) lastUsedAt: Date | null;
}
