import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { uuidv7 } from '../common/ids/public-id.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { ApiKeyEntity } from './api-key.entity.js';
import { API_KEY_PATTERN, generateApiKey, hashApiKey, keyHint, sameHash } from './api-key-token.js';
import { OrgEntity } from './org.entity.js';
import { Caller, Role } from './permissions.js';

export type AuthResult = { ok: true; caller: Caller } | { ok: false; reason: 'missing' | 'malformed' | 'unknown' };

export interface CreatedKey {
  key: string;
  keyId: string;
  orgId: string;
  orgSlug: string;
  role: Role;
}

@Injectable()
export class ApiKeyService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async authenticate(authorization: string | undefined): Promise<AuthResult> {
    if (!authorization) return { ok: false, reason: 'missing' };
    const match = /^Bearer ([^\s]+)$/i.exec(authorization.trim());
    if (!match || !API_KEY_PATTERN.test(match[1])) return { ok: false, reason: 'malformed' };
    const hash = hashApiKey(match[1]);
    const key = await this.dataSource.getRepository(ApiKeyEntity).findOne({ where: { keyHash: hash } });
    // A revoked key answers exactly like one that never existed: nothing tells its holder it once worked.
    if (!key || !sameHash(key.keyHash, hash) || key.revokedAt) return { ok: false, reason: 'unknown' };
    return { ok: true, caller: { orgId: key.orgId, keyId: key.id, role: key.role } };
  }

  /** Creates the org if needed, then a key with the role; the token is returned once and never stored. */
  async createKey(orgSlug: string, role: Role, token: string = generateApiKey()): Promise<CreatedKey> {
    return this.dataSource.transaction(async (em) => {
      const org = await this.ensureOrg(em, orgSlug);
      const key = em.create(ApiKeyEntity, {
        id: uuidv7(),
        orgId: org.id,
        role,
        keyHash: hashApiKey(token),
        keyHint: keyHint(token),
        createdAt: new Date(),
        revokedAt: null,
      });
      await em.insert(ApiKeyEntity, key);
      return { key: token, keyId: key.id, orgId: org.id, orgSlug: org.slug, role };
    });
  }

  async revokeKey(keyId: string): Promise<boolean> {
    const res = await this.dataSource
      .createQueryBuilder()
      .update(ApiKeyEntity)
      .set({ revokedAt: () => 'now()' })
      .where('id = :id AND revoked_at IS NULL', { id: keyId })
      .execute();
    return (res.affected ?? 0) > 0;
  }

  /**
   * SPEC §1 first boot: with no API key in the database, create one owner key for the default org
   * (BOOTSTRAP_API_KEY's exact token when set). Returns the created key, or null when keys exist.
   * The advisory lock keeps two instances booting at once from both creating one.
   */
  async ensureBootstrapKey(): Promise<CreatedKey | null> {
    return this.dataSource.transaction(async (em) => {
      await em.query('SELECT pg_advisory_xact_lock(7321650002)');
      const token = this.config.bootstrapApiKey;
      if (token) {
        const existing = await em.getRepository(ApiKeyEntity).findOne({ where: { keyHash: hashApiKey(token) } });
        if (existing) return null;
      } else {
        const [{ n }] = await em.query('SELECT count(*)::int AS n FROM api_keys');
        if (n > 0) return null;
      }
      const created = token ?? generateApiKey();
      const org = await this.ensureOrg(em, this.config.defaultOrgSlug);
      const id = uuidv7();
      await em.insert(ApiKeyEntity, {
        id, orgId: org.id, role: 'owner', keyHash: hashApiKey(created), keyHint: keyHint(created), createdAt: new Date(), revokedAt: null,
      });
      return { key: created, keyId: id, orgId: org.id, orgSlug: org.slug, role: 'owner' };
    });
  }

  private async ensureOrg(em: EntityManager, slug: string): Promise<OrgEntity> {
    await em.query(
      `INSERT INTO orgs (id, slug, name) VALUES ($1, $2, $2) ON CONFLICT ON CONSTRAINT orgs_slug_key DO NOTHING`,
      [uuidv7(), slug],
    );
    return em.getRepository(OrgEntity).findOneOrFail({ where: { slug } });
  }
}
