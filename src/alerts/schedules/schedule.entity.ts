import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'report_schedules' })
export class ScheduleEntity {
  @PrimaryColumn('uuid') id: string;
  @Column({ type: 'uuid', name: 'org_id' }) orgId: string;
  @Column({ type: 'uuid', name: 'saved_report_id' }) savedReportId: string;
  @Column({ type: 'uuid', name: 'destination_id' }) destinationId: string;
  @Column('text') cron: string;
  @Column('text') timezone: string;
  @Column('text') format: 'json' | 'csv';
  @Column({ type: 'timestamptz', name: 'next_run_at' }) nextRunAt: Date;
  @Column({ type: 'timestamptz', name: 'last_run_at', nullable: true }) lastRunAt: Date | null;
  @Column({ type: 'text', name: 'last_error', nullable: true }) lastError: string | null;
  @Column({ type: 'timestamptz', name: 'created_at' }) createdAt: Date;
}
