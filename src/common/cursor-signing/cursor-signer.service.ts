import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHmac, randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';

const SECRET_NAME = 'cursor_hmac';

/**
 * The key paging cursors are signed with (HMAC-SHA256), so a client cannot forge or move a
 * cursor. Generated once into `server_secrets` (the first instance to boot wins the insert; every
 * instance then reads the same row), and derived per purpose so one route's cursor never
 * verifies on another.
 */
@Injectable()
export class CursorSigner implements OnModuleInit {
  private master: Buffer | null = null;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async onModuleInit(): Promise<void> {
    await this.dataSource.query(
      'INSERT INTO server_secrets (name, secret) VALUES ($1, $2) ON CONFLICT ON CONSTRAINT server_secrets_pkey DO NOTHING',
      [SECRET_NAME, randomBytes(32)],
    );
    const [row] = await this.dataSource.query('SELECT secret FROM server_secrets WHERE name = $1', [SECRET_NAME]);
    this.master = row.secret as Buffer;
  }

  /** The key for one kind of cursor (e.g. "list_app_runs"). */
  keyFor(purpose: string): Buffer {
    if (!this.master) throw new Error('CursorSigner used before the module initialised');
    return createHmac('sha256', this.master).update(`factline:cursor:${purpose}`).digest();
  }
}
