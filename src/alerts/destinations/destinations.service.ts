import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { parsePublicId, toPublicId, uuidv7 } from '#src/common/ids/public-id.js';
import { ProblemException } from '#src/common/problem-details/problem.js';
import { APP_CONFIG, type AppConfig } from '#src/config/app-config.js';
import { checkDestination, DestinationRefused } from '#src/alerts/webhooks/address-policy.js';
import { DestinationEntity } from './destination.entity.js';
import type { CreateDestinationDto, CreatedDestinationDto, DestinationDto, DestinationListDto } from './destination.dto.js';

function toDto(e: DestinationEntity): DestinationDto {
  return { id: toPublicId('dest', e.id), name: e.name, url: e.url, created_at: e.createdAt.toISOString() };
}

/** Webhook destinations (SPEC §14), scoped to the caller's org; another org's id is a 404. */
@Injectable()
export class DestinationsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async create(orgId: string, dto: CreateDestinationDto): Promise<CreatedDestinationDto> {
    let url: string;
    try {
      url = (await checkDestination(dto.url, this.config.deliveries.allowPrivate)).url.href;
    } catch (e) {
      if (!(e instanceof DestinationRefused)) throw e;
      throw new ProblemException('destination_not_allowed', `The destination URL is refused: ${e.message}.`, { errors: [{ pointer: '/url', message: e.message }] });
    }
    const entity: DestinationEntity = {
      id: uuidv7(), orgId, name: dto.name, url,
      // Standard Webhooks secret: whsec_ + base64 of 32 random bytes (256 bits).
      signingSecret: `whsec_${randomBytes(32).toString('base64')}`,
      createdAt: new Date(),
    };
    await this.dataSource.getRepository(DestinationEntity).insert(entity);
    return { ...toDto(entity), signing_secret: entity.signingSecret };
  }

  async list(orgId: string): Promise<DestinationListDto> {
    const rows = await this.dataSource.getRepository(DestinationEntity).find({ where: { orgId }, order: { createdAt: 'DESC', id: 'DESC' } });
    return { data: rows.map(toDto) };
  }

  async remove(orgId: string, publicId: string): Promise<void> {
    const id = await this.resolve(orgId, publicId);
    try {
      await this.dataSource.getRepository(DestinationEntity).delete({ id, orgId });
    } catch (e) {
      const err = e as { code?: string; driverError?: { code?: string } };
      const code = err.driverError?.code ?? err.code;
      // ON DELETE RESTRICT answers 23001 (restrict_violation); 23503 should it ever be NO ACTION.
      if (code !== '23001' && code !== '23503') throw e;
      throw new ProblemException('destination_in_use', 'Schedules or alerts still deliver to this destination; delete them first.');
    }
  }

  /** The destination's uuid in the caller's org; 400 when malformed, 404 when missing or another org's. */
  async resolve(orgId: string, publicId: unknown, pointer?: string): Promise<string> {
    const id = parsePublicId('dest', publicId);
    if (!id) {
      const detail = `${JSON.stringify(String(publicId).slice(0, 80))} is not a destination id (dest_ followed by 32 lowercase hex characters).`;
      throw pointer ? new ProblemException('validation_failed', detail, { errors: [{ pointer, message: 'must be a dest_ id' }] }) : new ProblemException('invalid_destination_id', detail);
    }
    const found = await this.dataSource.getRepository(DestinationEntity).existsBy({ id, orgId });
    if (!found) throw new ProblemException('destination_not_found', `Destination ${toPublicId('dest', id)} was not found.`);
    return id;
  }
}
