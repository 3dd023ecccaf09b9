import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'webhook_destinations' })
export class DestinationEntity {
  @PrimaryColumn('uuid') id: string;
  @Column({ type: 'uuid', name: 'org_id' }) orgId: string;
  @Column('text') name: string;
  @Column('text') url: string;
  @Column({ type: 'text', name: 'signing_secret' }) signingSecret: string;
  @Column({ type: 'timestamptz', name: 'created_at' }) createdAt: Date;
}
