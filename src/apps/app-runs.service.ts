import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { CursorSigner } from '#src/common/cursor-signing/cursor-signer.service.js';
import { toPublicId } from '#src/common/ids/public-id.js';
import { ProblemException } from '#src/common/problem-details/problem.js';
import { APP_CONFIG, type AppConfig } from '#src/config/app-config.js';
import { queryRows } from '#src/database/query-rows.js';
import { AppRunsClock } from './app-runs.clock.js';
import { encodeCursor } from './app-runs.cursor.js';
import type { AppRunBucketDto, AppRunDto, AppRunListDto } from './app-runs.dto.js';
import type { AppRunsQueryInput } from './app-runs.input.js';
import { APP_EXISTS_SQL, FIRST_PAGE_SQL, HOURLY_BUCKETS_SQL, NEXT_PAGE_SQL } from './app-runs.sql.js';

interface RunRow {
  id: string;
  app_id: string;
  channel_id: string;
  channel_name: string | null;
  channel_type: string | null;
  status: string;
  created_at: string;
  completed_at: string | null;
}

/** `2026-05-01T12:00:00.120000` (UTC, microseconds) → `2026-05-01T12:00:00.12Z`; whole seconds lose the fraction. */
function rfc3339(utc: string): string;
function rfc3339(utc: string | null): string | null;
function rfc3339(utc: string | null): string | null {
  if (utc === null) return null;
  const [whole, fraction = ''] = utc.split('.');
  const digits = fraction.replace(/0+$/, '');
  return `${whole}${digits ? `.${digits}` : ''}Z`;
}

function toDto(r: RunRow): AppRunDto {
  return {
    id: toPublicId('apprun', r.id),
    app_id: toPublicId('app', r.app_id),
    channel_id: toPublicId('appchan', r.channel_id),
    channel_name: r.channel_name,
    channel_type: r.channel_type,
    status: r.status,
    created_at: rfc3339(r.created_at),
    completed_at: rfc3339(r.completed_at),
  };
}

/**
 * App run history (SPEC §7): one app's runs of a window, newest first with keyset pages, and
 * optionally the hourly histogram of the whole window. Scoped by the caller's org in every
 * statement; another org's app is the same 404 as a missing one.
 */
@Injectable()
export class AppRunsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: AppRunsClock,
    private readonly signer: CursorSigner,
  ) {}

  /** `input` as app-runs.input.ts checked it; `rawAppId` as the path gave it, for the 404's detail. */
  async list(orgId: string, rawAppId: string, input: AppRunsQueryInput): Promise<AppRunListDto> {
    const { appId, query } = input;
    const key = this.signer.keyFor('list_app_runs');
    const { window, groupBy, limit, cursor: after } = query;

    // Later pages keep the first page's "now": the whole walk (and every page's histogram) reads one window.
    const now = after ? new Date(after.now) : this.clock.now();
    const from = new Date(now.getTime() - window.ms);
    const range = [orgId, appId, from.toISOString(), now.toISOString()];

    // One snapshot for the existence check, the page and the histogram, so they agree.
    return this.dataSource.transaction('REPEATABLE READ', async (em) => {
      await em.query(`SELECT set_config('statement_timeout', $1, true)`, [String(this.config.query.timeoutMs)]);
      const found = await queryRows(em, APP_EXISTS_SQL, [orgId, appId]);
      if (found.length === 0) throw new ProblemException('app_not_found', `App ${rawAppId} was not found.`);
      const rows = after
        ? await queryRows<RunRow>(em, NEXT_PAGE_SQL, [...range, limit + 1, after.createdAt, after.id])
        : await queryRows<RunRow>(em, FIRST_PAGE_SQL, [...range, limit + 1]);
      const page = rows.slice(0, limit).map(toDto);
      const last = rows.length > limit ? rows[limit - 1] : null;
      const next_cursor = last
        ? encodeCursor({ appId, windowMs: window.ms, windowText: window.text, now: now.toISOString(), createdAt: rfc3339(last.created_at), id: last.id }, key)
        : null;
      if (groupBy !== 'hour') return { data: page, next_cursor };
      const buckets = await queryRows<AppRunBucketDto>(em, HOURLY_BUCKETS_SQL, range);
      return { data: page, buckets, next_cursor };
    });
  }
}
