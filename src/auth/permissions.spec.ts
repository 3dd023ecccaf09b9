import { canGrantRole, ROLE_PERMISSIONS, ROLES, type Permission, type Role } from './permissions.js';

describe('canGrantRole: no key of a role above your own (SPEC §15a)', () => {
  it('owner holds every permission, so it may create every role', () => {
    for (const role of ROLES) expect(canGrantRole('owner', role)).toBe(true);
  });

  it('with the table as it is, a role may grant itself and the roles below it, never one above or beside it', () => {
    const allowed = ROLES.flatMap((holder) => ROLES.filter((wanted) => canGrantRole(holder, wanted)).map((wanted) => `${holder}→${wanted}`));
    expect(allowed).toEqual([
      'owner→owner', 'owner→admin', 'owner→member', 'owner→ingest',
      'admin→admin', 'admin→member', 'admin→ingest',
      'member→member',
      'ingest→ingest',
    ]);
  });

  it('a role that appears above owner later cannot be created by owner', () => {
    const table = { ...ROLE_PERMISSIONS, admin: [...ROLE_PERMISSIONS.owner, 'billing:manage' as Permission] } as Record<Role, readonly Permission[]>;
    expect(canGrantRole('owner', 'admin', table)).toBe(false);
    expect(canGrantRole('admin', 'owner', table)).toBe(true);
  });
});
