import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { parsePublicId, toPublicId, uuidv7 } from '#src/common/ids/public-id.js';
import { ProblemException } from '#src/common/problem-details/problem.js';
import { APP_CONFIG, type AppConfig } from '#src/config/app-config.js';
import { preparedRows, type PreparedStatement } from '#src/database/query-rows.js';
import { OUTBOX_TYPES } from '#src/pipeline/pipeline.vocabulary.js';
import { type OrgProbe, orgProbeOf, type OrgProbeRow, orgProbeSql } from '#src/reporting/freshness/freshness.service.js';
import { ApiKeyEntity } from './api-key.entity.js';
import { API_KEY_PATTERN, generateApiKey, hashApiKey, keyHint, sameHash } from './api-key-token.js';
import type { ApiKeyDto, ApiKeyListDto, CreatedApiKeyDto } from './keys/api-keys.dto.js';
import { OrgEntity } from './org.entity.js';
import { Caller, canGrantRole, Role } from './permissions.js';
import { RateLimiter, takeTokenSql } from './rate-limiter.js';

/**
 * `rateLimitWait`: present when authentication also took the request's rate-limit token (the
 * hook's single statement): 0 when allowed, else the whole seconds to wait.
 */
export type AuthResult = { ok: true; caller: Caller; rateLimitWait?: number; orgProbe?: OrgProbe } | { ok: false; reason: 'missing' | 'malformed' | 'unknown' };

/** The key row as authentication reads it. */
interface KeyRow {
  id: string;
  org_id: string;
  role: Role;
  key_hash: Buffer;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

const KEY_COLUMNS = 'id, org_id, role, key_hash, revoked_at, last_used_at';
const KEY_SQL = `SELECT ${KEY_COLUMNS} FROM api_keys WHERE key_hash = $1`;
/** The key lookup, prepared (query-rows.ts preparedRows): every authenticated request runs it. */
const KEY_STATEMENT: PreparedStatement = { name: 'factline_auth_key', text: KEY_SQL };
/**
 * The key and, when it is live, one token of its rate-limit bucket, in one round trip: the
 * floor under every authenticated request is its round trips (BENCHMARKS.md, result cache).
 * $1 the key hash, $2/$3 the bucket's capacity and refill rate (rate-limiter.ts). `probe`: a
 * SELECT of one row over the key's org (`k`) whose columns join the result.
 */
const keyAndTokenSql = (probe?: string) => `WITH k AS (${KEY_SQL}),
  t AS (${takeTokenSql(`SELECT id, $2::float8 - 1, now(), true FROM k WHERE revoked_at IS NULL`)})${probe ? `,
  p AS (${probe})` : ''}
  SELECT k.*, t.allowed, t.tokens${probe ? ', p.*' : ''} FROM k LEFT JOIN t ON t.key_id = k.id${probe ? ' CROSS JOIN p' : ''}`;
const KEY_AND_TOKEN_STATEMENT: PreparedStatement = { name: 'factline_auth_key_token', text: keyAndTokenSql() };
/**
 * The same, and the freshness probe of every outbox type of the key's org ($4, OUTBOX_TYPES):
 * the query route's one round trip before its cache lookup (auth.hook.ts, ProbeOrgFreshness).
 */
const KEY_TOKEN_PROBE_STATEMENT: PreparedStatement = {
  name: 'factline_auth_key_token_probe',
  text: keyAndTokenSql(orgProbeSql('(SELECT org_id FROM k)', '$4::text[]')),
};

export interface CreatedKey {
  key: string;
  keyId: string;
  orgId: string;
  orgSlug: string;
  role: Role;
  name: string;
}

const MINUTE_MS = 60_000;

function toDto(k: ApiKeyEntity): ApiKeyDto {
  return {
    id: toPublicId('key', k.id),
    name: k.name,
    role: k.role,
    created_at: k.createdAt.toISOString(),
    last_used_at: k.lastUsedAt?.toISOString() ?? null,
    revoked_at: k.revokedAt?.toISOString() ?? null,
  };
}

@Injectable()
export class ApiKeyService {
  /** keyId → the minute (ms) this instance last wrote, so a burst of requests writes once. */
  private readonly touched = new Map<string, number>();
  /** The per-key token bucket (SPEC §8), shared by every instance on the database. */
  readonly limiter: RateLimiter;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.limiter = new RateLimiter(dataSource, config.rateLimitPerMinute);
  }

  /**
   * Reads the key on every request, with no cache: a revocation is effective on the next request,
   * on every instance (SPEC §15a). With `takeToken` (the onRequest hook) the same statement takes
   * the request's rate-limit token from a live key's bucket, and the result says how long to wait;
   * with `probeOrg` too (a @ProbeOrgFreshness route) it also reads the org's freshness and
   * watermarks (`orgProbe`), so the report query needs no round trip of its own before its cache.
   */
  async authenticate(authorization: string | undefined, options: { takeToken?: boolean; probeOrg?: boolean } = {}): Promise<AuthResult> {
    if (!authorization) return { ok: false, reason: 'missing' };
    const match = /^Bearer ([^\s]+)$/i.exec(authorization.trim());
    if (!match || !API_KEY_PATTERN.test(match[1])) return { ok: false, reason: 'malformed' };
    const hash = hashApiKey(match[1]);
    type Row = KeyRow & { allowed?: boolean | null; tokens?: number | null } & Partial<OrgProbeRow>;
    const probing = options.takeToken && options.probeOrg;
    const [key]: Row[] = probing
      ? await preparedRows(this.dataSource, KEY_TOKEN_PROBE_STATEMENT, [hash, ...this.limiter.params, OUTBOX_TYPES])
      : options.takeToken
        ? await preparedRows(this.dataSource, KEY_AND_TOKEN_STATEMENT, [hash, ...this.limiter.params])
        : await preparedRows(this.dataSource, KEY_STATEMENT, [hash]);
    // A revoked key answers exactly like one that never existed: nothing tells its holder it once worked.
    if (!key || !sameHash(key.key_hash, hash) || key.revoked_at) return { ok: false, reason: 'unknown' };
    await this.touch(key);
    const caller: Caller = { orgId: key.org_id, keyId: key.id, role: key.role };
    if (!options.takeToken) return { ok: true, caller };
    const rateLimitWait = this.limiter.wait({ allowed: key.allowed!, tokens: key.tokens! });
    return { ok: true, caller, rateLimitWait, ...(probing ? { orgProbe: orgProbeOf(key as OrgProbeRow, OUTBOX_TYPES) } : {}) };
  }

  /**
   * SPEC §15a: `last_used_at` to the minute without a write per request. The row just read says
   * when the key was last stamped; only the first request of a later minute writes (the time of
   * that request, so the stamp never precedes the key's creation), and the WHERE makes
   * concurrent writers (other requests, other instances) no-ops. A failed write never fails the
   * request: the timestamp is informational.
   */
  private async touch(key: KeyRow): Promise<void> {
    const minute = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS;
    if ((key.last_used_at && key.last_used_at.getTime() >= minute) || this.touched.get(key.id) === minute) return;
    if (this.touched.size > 10_000) this.touched.clear();
    this.touched.set(key.id, minute);
    await this.dataSource
      .query(
        `UPDATE api_keys SET last_used_at = now()
          WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < date_trunc('minute', now()))`,
        [key.id],
      )
      .catch(() => this.touched.delete(key.id));
  }

  /** Creates the org if needed, then a key with the role; the token is returned once and never stored. */
  async createKey(orgSlug: string, role: Role, name = `${role} key`, token: string = generateApiKey()): Promise<CreatedKey> {
    return this.dataSource.transaction(async (em) => {
      const org = await this.ensureOrg(em, orgSlug);
      const key = await this.insertKey(em, org.id, role, name, token);
      return { key: token, keyId: key.id, orgId: org.id, orgSlug: org.slug, role, name };
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

  /** list_api_keys: the caller's org only, newest first, never a secret. */
  async listOrgKeys(orgId: string): Promise<ApiKeyListDto> {
    const keys = await this.dataSource.getRepository(ApiKeyEntity).find({ where: { orgId }, order: { createdAt: 'DESC', id: 'DESC' } });
    return { data: keys.map(toDto) };
  }

  /** create_api_key: in the caller's org, never a role above the caller's own. */
  async createOrgKey(caller: Caller, name: string, role: Role): Promise<CreatedApiKeyDto> {
    if (!canGrantRole(caller.role, role)) {
      throw new ProblemException('role_not_grantable', `A ${caller.role} key cannot create a ${role} key: that role grants permissions the ${caller.role} role does not hold.`);
    }
    const token = generateApiKey();
    const key = await this.dataSource.transaction((em) => this.insertKey(em, caller.orgId, role, name, token));
    return { ...toDto(key), key: token };
  }

  /**
   * revoke_api_key: another org's key is a 404 like a missing one; revoking twice is a no-op.
   * The org row is locked so two revocations cannot both take the org's last two owner keys.
   */
  async revokeOrgKey(caller: Caller, publicId: string): Promise<void> {
    const id = parsePublicId('key', publicId);
    if (!id) throw new ProblemException('invalid_key_id', `"${publicId.slice(0, 80)}" is not a key id (key_ followed by 32 lowercase hex characters).`);
    await this.dataSource.transaction(async (em) => {
      await em.query(`SELECT 1 FROM orgs WHERE id = $1 FOR UPDATE`, [caller.orgId]);
      const key = await em.getRepository(ApiKeyEntity).findOne({ where: { id, orgId: caller.orgId } });
      if (!key) throw new ProblemException('api_key_not_found', `No API key ${publicId} in your org.`);
      if (key.revokedAt) return;
      if (key.role === 'owner') {
        const [{ n }] = await em.query(`SELECT count(*)::int AS n FROM api_keys WHERE org_id = $1 AND role = 'owner' AND revoked_at IS NULL`, [caller.orgId]);
        if (n <= 1) {
          throw new ProblemException('last_owner_key', `${publicId} is the org's last active owner key; create another owner key before revoking it.`, {
            allowedActions: [{ rel: 'retry', hint: 'Create an owner key first, then revoke this one.', href: '/v1/keys', method: 'POST', operation_id: 'create_api_key' }],
          });
        }
      }
      await em.query(`UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND org_id = $2`, [id, caller.orgId]);
    });
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
      const name = 'first-boot owner key';
      const key = await this.insertKey(em, org.id, 'owner', name, created);
      return { key: created, keyId: key.id, orgId: org.id, orgSlug: org.slug, role: 'owner', name };
    });
  }

  private async insertKey(em: EntityManager, orgId: string, role: Role, name: string, token: string): Promise<ApiKeyEntity> {
    const key = em.create(ApiKeyEntity, {
      id: uuidv7(),
      orgId,
      name,
      role,
      keyHash: hashApiKey(token),
      keyHint: keyHint(token),
      createdAt: new Date(),
      revokedAt: null,
      lastUsedAt: null,
    });
    await em.insert(ApiKeyEntity, key);
    return key;
  }

  private async ensureOrg(em: EntityManager, slug: string): Promise<OrgEntity> {
    await em.query(
      `INSERT INTO orgs (id, slug, name) VALUES ($1, $2, $2) ON CONFLICT ON CONSTRAINT orgs_slug_key DO NOTHING`,
      [uuidv7(), slug],
    );
    return em.getRepository(OrgEntity).findOneOrFail({ where: { slug } });
  }
}
