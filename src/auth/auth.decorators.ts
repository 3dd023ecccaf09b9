import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';
import type { OrgProbe } from '#src/reporting/freshness/freshness.service.js';
import type { Caller, Permission } from './permissions.js';

export const PERMISSION_KEY = 'factline:permission';
export const PUBLIC_KEY = 'factline:public';
export const ANY_PERMISSION_KEY = 'factline:any-permission';

/** Declares the permission a route needs (SPEC §2); the global AuthGuard enforces it. */
export const RequirePermission = (permission: Permission) =>
  applyDecorators(SetMetadata(PERMISSION_KEY, permission), ApiBearerAuth());

/**
 * A route open to every valid key whatever its role, which filters what the route offers by the
 * caller's permissions itself (the MCP endpoint: an ingest key connects and sees no tools).
 * Authentication and the per-key rate limit still apply.
 */
export const RequireApiKey = () => applyDecorators(SetMetadata(ANY_PERMISSION_KEY, true), ApiBearerAuth());

/**
 * Marks a route (or every route of a controller) that needs no API key (health, problem pages).
 * On a controller the mark is also put on each method: Nest copies a method's metadata onto the
 * handler it gives Fastify, which is how the early authentication hook (auth.hook.ts) knows a
 * route is public before Nest's guard runs.
 */
export const Public = (): ClassDecorator & MethodDecorator =>
  ((target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => {
    if (descriptor) return SetMetadata(PUBLIC_KEY, true)(target, key!, descriptor);
    const proto = (target as { prototype: Record<string, unknown> }).prototype;
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name !== 'constructor' && typeof proto[name] === 'function') Reflect.defineMetadata(PUBLIC_KEY, true, proto[name] as object);
    }
    SetMetadata(PUBLIC_KEY, true)(target as never);
  }) as ClassDecorator & MethodDecorator;

export const PROBE_ORG_KEY = 'factline:probe-org';

/**
 * A route that reads its org's freshness and projection watermarks first thing (the report query:
 * SPEC §6, §15): authentication reads them in its own statement, with the key and its rate-limit
 * token, so a cached answer costs one round trip to PostgreSQL (auth.hook.ts; @AuthOrgProbe).
 */
export const ProbeOrgFreshness = () => SetMetadata(PROBE_ORG_KEY, true);

/** Does this Fastify route handler carry @ProbeOrgFreshness? */
export const probesOrg = (handler: unknown): boolean => typeof handler === 'function' && Reflect.getMetadata(PROBE_ORG_KEY, handler) === true;

/**
 * What authentication read of the org's freshness on a @ProbeOrgFreshness route; undefined when
 * the request was not authenticated that way (an internal call, a key read by the guard).
 */
export const AuthOrgProbe = createParamDecorator((_: unknown, ctx: ExecutionContext): OrgProbe | undefined => {
  const auth = ctx.switchToHttp().getRequest<{ auth?: { ok: boolean; orgProbe?: OrgProbe } }>().auth;
  return auth?.ok ? auth.orgProbe : undefined;
});

/** Is this Fastify route handler a Nest route marked @Public? (Nest copies method metadata onto it.) */
export const isPublicHandler = (handler: unknown): boolean => typeof handler === 'function' && Reflect.getMetadata(PUBLIC_KEY, handler) === true;

/** Is this Fastify route handler one of Nest's (its @Get/@Post metadata was copied onto it)? */
export const isNestHandler = (handler: unknown): boolean => typeof handler === 'function' && Reflect.hasMetadata('method', handler);

/** The authenticated caller, set by the AuthGuard. */
export const CurrentCaller = createParamDecorator((_: unknown, ctx: ExecutionContext): Caller => {
  return ctx.switchToHttp().getRequest<{ caller: Caller }>().caller;
});
