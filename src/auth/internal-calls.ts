import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { Caller } from './permissions.js';

/** The header that carries an internal call's token (never sent by, nor meaningful to, a client). */
export const INTERNAL_CALL_HEADER = 'x-factline-internal-call';

/**
 * Requests the service makes to its own routes on behalf of a caller it has already
 * authenticated and rate limited (an MCP tool call runs its route in-process, Fastify's inject):
 * the route's hook takes the caller from a one-use random token instead of looking the key up
 * again, and the guard does not take a second token of the key's bucket for the same request.
 * Everything else — permission, validation, org scoping, limits — runs as for any request.
 * A token lives only while its call runs; one from outside matches nothing and is ignored.
 */
@Injectable()
export class InternalCalls {
  private readonly pending = new Map<string, Caller>();

  /** A token for one call by this caller; `end` it when the call is over. */
  begin(caller: Caller): string {
    const token = randomBytes(32).toString('base64url');
    this.pending.set(token, caller);
    return token;
  }

  /** The caller a token stands for (once: the token is spent). */
  redeem(token: unknown): Caller | undefined {
    if (typeof token !== 'string') return undefined;
    const caller = this.pending.get(token);
    this.pending.delete(token);
    return caller;
  }

  end(token: string): void {
    this.pending.delete(token);
  }
}
