import { api } from '../api/client.js';
import type { Catalog, Problem } from '../api/types.js';

/** What the key may do, learnt from the API itself (there is no "who am I" route). */
export interface Access {
  catalog: Catalog | null;
  /** 403 problems by page, shown when the page is reached anyway. */
  denied: Partial<Record<'explore' | 'saved' | 'manage' | 'apps' | 'operator' | 'keys', Problem>>;
}

// A well-formed id of an app that cannot exist: the route answers 404 when the key may read app
// runs, 403 when it may not — the guard decides before any lookup.
const PROBE_APP = 'app_00000000000070008000000000000000';

/**
 * Probes one cheap, side-effect-free request per permission. The guard runs before validation, so
 * an invalid body is a 403 without the permission and a 400 with it: an empty saved report for
 * reports:manage, a backfill of 0 rows for reports:admin (diagnostics would cost a real read), an
 * empty key for keys:manage (owner only, SPEC §15a).
 */
export async function probeAccess(key: string): Promise<{ ok: true; access: Access } | { ok: false; problem: Problem }> {
  const [catalog, manage, apps, operator, keys] = await Promise.all([
    api<Catalog>('GET', '/v1/reports/catalog', undefined, key),
    api('POST', '/v1/reports/saved', {}, key),
    api('GET', `/v1/apps/${PROBE_APP}/runs?window=1h`, undefined, key),
    api('POST', '/v1/reports/admin/backfill', { limit: 0 }, key),
    api('POST', '/v1/keys', {}, key),
  ]);
  if (!catalog.ok && catalog.status === 401) return { ok: false, problem: catalog.problem };
  const denied: Access['denied'] = {};
  if (!catalog.ok && catalog.status === 403) denied.explore = denied.saved = catalog.problem;
  if (!manage.ok && manage.status === 403) denied.manage = manage.problem;
  if (!apps.ok && apps.status === 403) denied.apps = apps.problem;
  if (!operator.ok && operator.status === 403) denied.operator = operator.problem;
  if (!keys.ok && keys.status === 403) denied.keys = keys.problem;
  if (!catalog.ok && catalog.status !== 403) return { ok: false, problem: catalog.problem };
  return { ok: true, access: { catalog: catalog.ok ? catalog.data : null, denied } };
}
