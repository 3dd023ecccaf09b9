/** SPEC §2: the permission table. */
export const PERMISSIONS = ['reports:view', 'reports:manage', 'reports:admin', 'apps:view', 'ingest:write'] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const ROLES = ['owner', 'admin', 'member', 'ingest'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  owner: ['reports:view', 'reports:manage', 'reports:admin', 'apps:view', 'ingest:write'],
  admin: ['reports:view', 'reports:manage', 'apps:view', 'ingest:write'],
  member: ['reports:view', 'apps:view'],
  ingest: ['ingest:write'],
};

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Who is calling, resolved from the API key; every service call is scoped by `orgId`. */
export interface Caller {
  orgId: string;
  keyId: string;
  role: Role;
}
