import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { IdPrefix, parsePublicId } from '#src/common/ids/public-id.js';
import { FieldError, ProblemException } from '#src/common/problem-details/problem.js';
import { OUTBOX_CHANNEL } from '#src/pipeline/pipeline.vocabulary.js';
import { checkEventData } from './event-data.js';
import {
  AppRecordDto, AppRunRecordDto, EventRecordDto, IngestResultDto, LlmGenerationRecordDto, SessionRecordDto, UsageLedgerRecordDto,
} from './ingest-records.dto.js';
import {
  INGEST_APP_RUNS_SQL, INGEST_APPS_SQL, INGEST_EVENTS_SQL, INGEST_LLM_GENERATIONS_SQL, INGEST_LOCK_SQL, INGEST_SESSIONS_SQL, INGEST_USAGE_LEDGER_SQL,
  KNOWN_APP_CHANNELS_SQL,
} from './ingest.sql.js';

type IdFields<T> = Partial<Record<keyof T, IdPrefix>>;

const SESSION_IDS: IdFields<SessionRecordDto> = { id: 'session', agent_id: 'agent', harness_id: 'harness', app_id: 'app', user_id: 'user', principal_id: 'principal' };
const EVENT_IDS: IdFields<EventRecordDto> = { id: 'event', session_id: 'session', turn_id: 'turn' };
const GENERATION_IDS: IdFields<LlmGenerationRecordDto> = { id: 'gen', session_id: 'session', turn_id: 'turn' };
const LEDGER_IDS: IdFields<UsageLedgerRecordDto> = { id: 'ledger', session_id: 'session', budget_id: 'budget' };
const APP_RUN_IDS: IdFields<AppRunRecordDto> = { id: 'apprun', app_id: 'app', channel_id: 'appchan' };

/** Public ids → UUIDs for SQL; the last record of a duplicated id wins; sorted by id for a stable lock order. */
function toRows<T extends { id: string }>(records: T[], ids: IdFields<T>): Record<string, unknown>[] {
  const byId = new Map<string, Record<string, unknown>>();
  for (const record of records) {
    const row: Record<string, unknown> = { ...record };
    for (const [field, prefix] of Object.entries(ids) as [string, IdPrefix][]) {
      const v = row[field];
      row[field] = v === undefined || v === null ? null : parsePublicId(prefix, v);
    }
    byId.set(row.id as string, row);
  }
  return [...byId.values()].sort((a, b) => ((a.id as string) < (b.id as string) ? -1 : 1));
}

@Injectable()
export class IngestService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  sessions(orgId: string, records: SessionRecordDto[]): Promise<IngestResultDto> {
    return this.write(orgId, INGEST_LOCK_SQL.sessions, INGEST_SESSIONS_SQL, toRows(records, SESSION_IDS), records.length);
  }

  events(orgId: string, records: EventRecordDto[]): Promise<IngestResultDto> {
    const problems = records.flatMap((r, i) => checkEventData(r.type, r.data, `/records/${i}/data`));
    if (problems.length > 0) throw invalidBatch(problems);
    return this.write(orgId, INGEST_LOCK_SQL.events, INGEST_EVENTS_SQL, toRows(records, EVENT_IDS), records.length);
  }

  llmGenerations(orgId: string, records: LlmGenerationRecordDto[]): Promise<IngestResultDto> {
    return this.write(orgId, INGEST_LOCK_SQL.generations, INGEST_LLM_GENERATIONS_SQL, toRows(records, GENERATION_IDS), records.length);
  }

  usageLedger(orgId: string, records: UsageLedgerRecordDto[]): Promise<IngestResultDto> {
    return this.write(orgId, INGEST_LOCK_SQL.attributed, INGEST_USAGE_LEDGER_SQL, toRows(records, LEDGER_IDS), records.length);
  }

  apps(orgId: string, records: AppRecordDto[]): Promise<IngestResultDto> {
    const problems: FieldError[] = [];
    records.forEach((app, i) => {
      const seen = new Set<string>();
      app.channels.forEach((c, j) => {
        if (seen.has(c.id)) problems.push({ pointer: `/records/${i}/channels/${j}/id`, message: `channel ${c.id} is listed twice` });
        seen.add(c.id);
      });
    });
    if (problems.length > 0) throw invalidBatch(problems);
    const rows = toRows(records, { id: 'app' }).map((r) => ({
      ...r,
      channels: (r.channels as { id: string; type: string; name?: string | null }[]).map((c) => ({ id: parsePublicId('appchan', c.id), type: c.type, name: c.name ?? null })),
    }));
    return this.write(orgId, null, INGEST_APPS_SQL, rows, records.length);
  }

  /** App runs must name an app of the caller's org and one of that app's channels. */
  async appRuns(orgId: string, records: AppRunRecordDto[]): Promise<IngestResultDto> {
    const rows = toRows(records, APP_RUN_IDS);
    return this.dataSource.transaction(async (em) => {
      const known: { app_id: string; channel_id: string | null }[] = await em.query(KNOWN_APP_CHANNELS_SQL, [orgId, JSON.stringify(rows)]);
      const apps = new Set(known.map((k) => k.app_id));
      const channels = new Set(known.filter((k) => k.channel_id).map((k) => `${k.app_id}/${k.channel_id}`));
      const problems: FieldError[] = [];
      records.forEach((r, i) => {
        const app = parsePublicId('app', r.app_id)!;
        if (!apps.has(app)) problems.push({ pointer: `/records/${i}/app_id`, message: `app ${r.app_id} does not exist (ingest it through POST /v1/ingest/apps first)` });
        else if (!channels.has(`${app}/${parsePublicId('appchan', r.channel_id)}`)) {
          problems.push({ pointer: `/records/${i}/channel_id`, message: `channel ${r.channel_id} is not a channel of app ${r.app_id}` });
        }
      });
      if (problems.length > 0) throw invalidBatch(problems);
      await em.query(INGEST_APP_RUNS_SQL, [orgId, JSON.stringify(rows)]);
      return { accepted: records.length, enqueued: 0 };
    });
  }

  /** `lock`: the org's ingest lock this source takes before writing (INGEST_LOCK_SQL explains which and why). */
  private async write(orgId: string, lock: string | null, sql: string, rows: Record<string, unknown>[], accepted: number): Promise<IngestResultDto> {
    return this.dataSource.transaction(async (em) => {
      if (lock) await em.query(lock, [orgId]);
      const [{ enqueued }] = await em.query(sql, [orgId, JSON.stringify(rows)]);
      // Delivered on commit, so the projector never wakes before the rows are visible.
      if (enqueued > 0) await em.query(`SELECT pg_notify($1, $2)`, [OUTBOX_CHANNEL, orgId]);
      return { accepted, enqueued };
    });
  }
}

function invalidBatch(errors: FieldError[]): ProblemException {
  return new ProblemException('validation_failed', `The batch was rejected: ${errors.length} invalid record field${errors.length === 1 ? '' : 's'}.`, { errors });
}
