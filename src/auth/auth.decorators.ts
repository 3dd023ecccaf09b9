import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';
import type { Caller, Permission } from './permissions.js';

export const PERMISSION_KEY = 'factline:permission';
export const PUBLIC_KEY = 'factline:public';

/** Declares the permission a route needs (SPEC §2); the global AuthGuard enforces it. */
export const RequirePermission = (permission: Permission) =>
  applyDecorators(SetMetadata(PERMISSION_KEY, permission), ApiBearerAuth());

/** Marks a route that needs no API key (health, docs, problem pages). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

/** The authenticated caller, set by the AuthGuard. */
export const CurrentCaller = createParamDecorator((_: unknown, ctx: ExecutionContext): Caller => {
  return ctx.switchToHttp().getRequest<{ caller: Caller }>().caller;
});
