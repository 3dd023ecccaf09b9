import { ProblemException } from '../../common/problem-details/problem.js';

/** SPEC §8: at most N report queries of one org at once (per instance); the next is a 503, never a queue. */
export class OrgConcurrencyLimiter {
  private readonly running = new Map<string, number>();

  constructor(private readonly max: number) {}

  acquire(orgId: string): () => void {
    const n = this.running.get(orgId) ?? 0;
    if (n >= this.max) {
      throw new ProblemException('query_concurrency_limited', `Your org already has ${this.max} report ${this.max === 1 ? 'query' : 'queries'} running (the cap); retry shortly.`, {
        retryAfterSeconds: 1,
        allowedActions: [{ rel: 'retry-later', hint: 'Retry after 1 s.' }],
      });
    }
    this.running.set(orgId, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.running.get(orgId) ?? 1) - 1;
      if (left <= 0) this.running.delete(orgId);
      else this.running.set(orgId, left);
    };
  }
}
