import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ProblemException } from '#src/common/problem-details/problem.js';
import { ApiKeyService } from './api-key.service.js';
import { ANY_PERMISSION_KEY, PERMISSION_KEY, PUBLIC_KEY } from './auth.decorators.js';
import { unauthorized, type AuthenticatedRequest } from './auth.hook.js';
import { Caller, Permission, ROLE_PERMISSIONS } from './permissions.js';

/**
 * Global guard: every route is authenticated unless marked @Public, then checked against the
 * permission its @RequirePermission names, then rate limited per key.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeyService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest & { caller?: Caller }>();
    // Normally authenticated already by the onRequest hook (auth.hook.ts), before the body was read.
    const result = request.auth ?? (await this.keys.authenticate(request.headers.authorization));
    if (!result.ok) throw unauthorized(result.reason);
    // An internal call (an MCP tool running its route) was counted as the request that carried it;
    // the hook's authentication normally took the token in its own statement.
    const wait = request.internal ? 0 : (result.rateLimitWait ?? (await this.keys.limiter.take(result.caller.keyId)));
    if (wait > 0) {
      throw new ProblemException('rate_limited', `Rate limit exceeded for this API key; retry in ${wait} s.`, {
        retryAfterSeconds: wait,
        allowedActions: [{ rel: 'retry-later', hint: `Wait ${wait} s, then repeat the same request.` }],
      });
    }
    const needed = this.reflector.getAllAndOverride<Permission | undefined>(PERMISSION_KEY, targets);
    const anyRole = !needed && this.reflector.getAllAndOverride<boolean>(ANY_PERMISSION_KEY, targets);
    if (!anyRole && (!needed || !ROLE_PERMISSIONS[result.caller.role].includes(needed))) {
      throw new ProblemException('forbidden', `This route needs the ${needed ?? 'an explicit'} permission, which the ${result.caller.role} role does not grant.`);
    }
    request.caller = result.caller;
    return true;
  }
}
