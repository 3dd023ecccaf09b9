import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'orgs' })
export class OrgEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('text') slug: string;
  @Column('text') name: string;
  @Column({ type: 'timestamptz', name: 'created_at' }) createdAt: Date;
}
