import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { CursorSigner } from '#src/common/cursor-signing/cursor-signer.service.js';
import { parseUuid, uuidv7 } from '#src/common/ids/public-id.js';
import { ProblemException } from '#src/common/problem-details/problem.js';
import { slugFilename } from '#src/reporting/export/csv.js';
import { ENVELOPE_OPTIONS, ExportEnvelope, ExportService, STREAM_OPTIONS } from '#src/reporting/export/export.service.js';
import { ReportQueryService, ReportResult } from '#src/reporting/query/report-query.service.js';
import { SavedReportEntity } from './saved-report.entity.js';
import type { SavedReportDto, SavedReportListDto } from './saved-report.dto.js';
import type { SavedReportInput } from './saved-report.input.js';

function toDto(e: SavedReportEntity): SavedReportDto {
  return { id: e.id, name: e.name, description: e.description, query: e.query, created_at: e.createdAt.toISOString(), updated_at: e.updatedAt.toISOString() };
}

const ISO_MILLIS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const mac = (key: Buffer, payload: string) => createHmac('sha256', key).update('factline:list_saved_reports:cursor:v1\n').update(payload).digest().subarray(0, 16);

/** The keyset position (created_at, id), signed with the server key so it can be neither forged nor altered. */
function encodeCursor(e: SavedReportEntity, key: Buffer): string {
  const payload = JSON.stringify([e.createdAt.toISOString(), e.id]);
  return `${Buffer.from(payload).toString('base64url')}.${mac(key, payload).toString('base64url')}`;
}

/** Only what encodeCursor made with this key: the date exactly as toISOString wrote it (no "1", no HTTP dates, no year −271821). */
function decodeCursor(cursor: string, key: Buffer): [Date, string] | null {
  const m = /^([A-Za-z0-9_-]{1,400})\.([A-Za-z0-9_-]{22})$/.exec(cursor);
  if (!m) return null;
  const payload = Buffer.from(m[1], 'base64url').toString('utf8');
  const given = Buffer.from(m[2], 'base64url');
  if (given.length !== 16 || !timingSafeEqual(given, mac(key, payload))) return null;
  try {
    const [at, id] = JSON.parse(payload) as unknown[];
    if (typeof at !== 'string' || !ISO_MILLIS.test(at)) return null;
    const date = new Date(at);
    const uuid = parseUuid(id);
    return !Number.isNaN(date.getTime()) && date.toISOString() === at && uuid ? [date, uuid] : null;
  } catch {
    return null;
  }
}

/** Saved reports (SPEC §6): CRUD scoped to the caller's org; another org's id is a 404. */
@Injectable()
export class SavedReportsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly reports: ReportQueryService,
    private readonly exports: ExportService,
    private readonly signer: CursorSigner,
  ) {}

  async list(orgId: string, limit: number, cursor?: string): Promise<SavedReportListDto> {
    const key = this.signer.keyFor('list_saved_reports');
    const after = cursor === undefined ? null : decodeCursor(cursor, key);
    if (cursor !== undefined && !after) {
      throw new ProblemException('validation_failed', 'The cursor is not one this API issued.', { errors: [{ pointer: '/query/cursor', message: 'malformed cursor; pass next_cursor from the previous page' }] });
    }
    const qb = this.dataSource.getRepository(SavedReportEntity).createQueryBuilder('r').where('r.org_id = :orgId', { orgId });
    if (after) qb.andWhere('(r.created_at, r.id) < (:at, :id)', { at: after[0], id: after[1] });
    const rows = await qb.orderBy('r.created_at', 'DESC').addOrderBy('r.id', 'DESC').limit(limit + 1).getMany();
    const page = rows.slice(0, limit);
    return { data: page.map(toDto), next_cursor: rows.length > limit ? encodeCursor(page[page.length - 1], key) : null };
  }

  async get(orgId: string, rawId: string): Promise<SavedReportDto> {
    return toDto(await this.find(orgId, rawId));
  }

  /** `fields` as saved-report.input.ts checked them: name and query present. */
  async create(orgId: string, fields: SavedReportInput): Promise<SavedReportDto> {
    const now = new Date();
    const entity: SavedReportEntity = {
      id: uuidv7(), orgId, name: fields.name!, description: fields.description ?? null, query: fields.query!, createdAt: now, updatedAt: now,
    };
    // jsonb column: TypeORM's deep-partial typing cannot express an arbitrary JSON object.
    await this.dataSource.getRepository(SavedReportEntity).insert({ ...entity, query: entity.query as never });
    return toDto(entity);
  }

  /** PATCH: absent = unchanged; null clears description; name and query may not be null. */
  async update(orgId: string, rawId: string, fields: SavedReportInput): Promise<SavedReportDto> {
    const existing = await this.find(orgId, rawId);
    const next: SavedReportEntity = {
      ...existing,
      ...(fields.name !== undefined ? { name: fields.name } : {}),
      ...(fields.description !== undefined ? { description: fields.description } : {}),
      ...(fields.query !== undefined ? { query: fields.query } : {}),
      updatedAt: new Date(),
    };
    await this.dataSource.getRepository(SavedReportEntity).update({ id: existing.id, orgId }, {
      name: next.name, description: next.description, query: next.query as never, updatedAt: next.updatedAt,
    });
    return toDto(next);
  }

  async remove(orgId: string, rawId: string): Promise<void> {
    const existing = await this.find(orgId, rawId);
    await this.dataSource.getRepository(SavedReportEntity).delete({ id: existing.id, orgId });
  }

  /** Re-validated on every run: a catalog change makes an old report a clear 400, never a 500. */
  async run(orgId: string, rawId: string): Promise<ReportResult> {
    const report = await this.find(orgId, rawId);
    return this.reports.run(orgId, this.reports.resolve(report.query, {}, '/query'));
  }

  /** The export envelope of a saved report (scheduled CSV deliveries, SPEC §14). */
  async exportEnvelope(orgId: string, rawId: string): Promise<ExportEnvelope> {
    const report = await this.find(orgId, rawId);
    const query = this.reports.resolve(report.query, ENVELOPE_OPTIONS, '/query');
    return this.exports.envelope(orgId, query, slugFilename(report.name));
  }

  async export(orgId: string, rawId: string, stream: boolean, reply: FastifyReply): Promise<ExportEnvelope | void> {
    const report = await this.find(orgId, rawId);
    const options = stream ? STREAM_OPTIONS : ENVELOPE_OPTIONS;
    const query = this.reports.resolve(report.query, options, '/query');
    const filename = slugFilename(report.name);
    if (stream) return this.exports.stream(orgId, query, filename, reply);
    return this.exports.envelope(orgId, query, filename);
  }

  private async find(orgId: string, rawId: string): Promise<SavedReportEntity> {
    const id = parseUuid(rawId);
    if (!id) throw new ProblemException('invalid_report_id', `"${rawId.slice(0, 80)}" is not a UUID.`);
    const found = await this.dataSource.getRepository(SavedReportEntity).findOne({ where: { id, orgId } });
    if (!found) throw new ProblemException('saved_report_not_found', `Saved report ${id} was not found.`);
    return found;
  }
}
