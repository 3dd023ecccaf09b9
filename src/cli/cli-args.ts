import type { DataSource } from 'typeorm';
import { UsageError } from './usage-error.js';

const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** An integer flag in [min, max], or undefined when absent; anything else is a usage error (exit 2). */
export function intFlag(name: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const clean = raw.replace(/_/g, '');
  if (!/^\d+$/.test(clean) || Number(clean) < min || Number(clean) > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max.toLocaleString('en-US')} (got "${raw}")`);
  }
  return Number(clean);
}

export function slugFlag(raw: string | undefined, required: boolean): string | undefined {
  if (raw === undefined && !required) return undefined;
  if (!raw || !SLUG.test(raw)) throw new UsageError('--org <slug> is required (lowercase letters, digits, dashes)');
  return raw;
}

/** The org's id by slug; an unknown org is an error (exit 1), not a usage problem. */
export async function orgIdBySlug(ds: DataSource, slug: string): Promise<string> {
  const rows: { id: string }[] = await ds.query(`SELECT id FROM orgs WHERE slug = $1`, [slug]);
  if (rows.length === 0) throw new CliError(`no org with slug "${slug}"`);
  return rows[0].id;
}

/** A failure to report in one line (exit 1), without a stack trace. */
export class CliError extends Error {}
