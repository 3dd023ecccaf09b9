import { Column, Entity, PrimaryColumn } from 'typeorm';

export type AlertOp = 'gt' | 'gte' | 'lt' | 'lte';
export type AlertState = 'ok' | 'firing';

@Entity({ name: 'report_alerts' })
export class AlertEntity {
  @PrimaryColumn('uuid') id: string;
  @Column({ type: 'uuid', name: 'org_id' }) orgId: string;
  @Column('text') name: string;
  @Column({ type: 'uuid', name: 'saved_report_id' }) savedReportId: string;
  @Column({ type: 'uuid', name: 'destination_id' }) destinationId: string;
  @Column('text') measure: string;
  @Column('text') op: AlertOp;
  @Column('double precision') threshold: number;
  @Column('text') every: string;
  @Column({ type: 'integer', name: 'every_seconds' }) everySeconds: number;
  @Column('text') state: AlertState;
  @Column('integer') transitions: number;
  @Column({ type: 'double precision', name: 'last_value', nullable: true }) lastValue: number | null;
  @Column({ type: 'timestamptz', name: 'last_evaluated_at', nullable: true }) lastEvaluatedAt: Date | null;
  @Column({ type: 'text', name: 'last_error', nullable: true }) lastError: string | null;
  @Column({ type: 'timestamptz', name: 'next_eval_at' }) nextEvalAt: Date;
  @Column({ type: 'timestamptz', name: 'created_at' }) createdAt: Date;
}
