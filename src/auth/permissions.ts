/** SPEC §2: the permission table. */
export const PERMISSIONS = ['reports:view', 'reports:manage', 'reports:admin', 'apps:view', 'ingest:write', 'keys:manage'] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const ROLES = ['owner', 'admin', 'member', 'ingest'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  owner: ['reports:view', 'reports:manage', 'reports:admin', 'apps:view', 'ingest:write', 'keys:manage'],
  admin: ['reports:view', 'reports:manage', 'apps:view', 'ingest:write'],
  member: ['reports:view', 'apps:view'],
  ingest: ['ingest:write'],
};

/**
 * SPEC §15a: a key cannot create a key of a role above its own. "Above" is read on permissions,
 * not on a fixed ladder: the new role may grant nothing the creator's role lacks (member and
 * ingest are not comparable, and neither may mint the other). Owner holds every permission today,
 * so it may create any role; the rule bites as soon as a role sits above another key manager.
 */
export function canGrantRole(holder: Role, wanted: Role, table: Record<Role, readonly Permission[]> = ROLE_PERMISSIONS): boolean {
  return table[wanted].every((p) => table[holder].includes(p));
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Who is calling, resolved from the API key; every service call is scoped by `orgId`. */
export interface Caller {
  orgId: string;
  keyId: string;
  role: Role;
}
