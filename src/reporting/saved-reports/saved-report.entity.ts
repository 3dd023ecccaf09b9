import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'saved_reports' })
export class SavedReportEntity {
  @PrimaryColumn('uuid') id: string;
  @Column({ type: 'uuid', name: 'org_id' }) orgId: string;
  @Column('text') name: string;
  @Column({ type: 'text', nullable: true }) description: string | null;
  @Column('jsonb') query: Record<string, unknown>;
  @Column({ type: 'timestamptz', name: 'created_at' }) createdAt: Date;
  @Column({ type: 'timestamptz', name: 'updated_at' }) updatedAt: Date;
}
