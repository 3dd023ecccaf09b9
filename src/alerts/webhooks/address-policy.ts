import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';

/** `public` may always be reached; `private` only with WEBHOOK_ALLOW_PRIVATE; `refused` never. */
export type AddressClass = 'public' | 'private' | 'refused';

/** Local-network ranges the operator may open for tests and local use (ipaddr.js range names). */
const PRIVATE_RANGES = new Set(['loopback', 'private', 'uniqueLocal', 'carrierGradeNat']);

/**
 * Only global unicast is public. Everything else is refused outright, flag or not: link-local
 * (169.254.169.254 is every cloud's metadata service), unspecified, multicast, broadcast, reserved,
 * and IPv6 forms that embed an IPv4 address (IPv4-mapped, 6to4, NAT64, Teredo), which would
 * otherwise smuggle 127.0.0.1 or a private address past the check.
 */
export function classifyAddress(ip: string): AddressClass {
  if (!ipaddr.isValid(ip)) return 'refused';
  const range = ipaddr.parse(ip).range();
  if (range === 'unicast') return 'public';
  return PRIVATE_RANGES.has(range) ? 'private' : 'refused';
}

export class DestinationRefused extends Error {}

export interface CheckedTarget {
  url: URL;
  /** Host name without IPv6 brackets, as TLS and the Host header want it. */
  host: string;
  /** The checked address to connect to: nothing resolves the name again after the check. */
  address: string;
  family: 4 | 6;
}

const LOOKUP_TIMEOUT_MS = 5000;

async function resolveAll(host: string): Promise<{ address: string; family: number }[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DestinationRefused(`resolving ${host} timed out`)), LOOKUP_TIMEOUT_MS);
  });
  try {
    return await Promise.race([lookup(host, { all: true, verbatim: true }), timeout]);
  } catch (e) {
    if (e instanceof DestinationRefused) throw e;
    throw new DestinationRefused(`${host} does not resolve (${(e as { code?: string }).code ?? 'lookup failed'})`);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * SPEC §14 SSRF guard, run when a destination is created and again before every send: the URL is
 * https (http only towards private addresses when allowed), carries no credentials, and every
 * address its host resolves to is acceptable. The caller connects to the returned address.
 */
export async function checkDestination(raw: string, allowPrivate: boolean): Promise<CheckedTarget> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new DestinationRefused('not an absolute URL');
  }
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:')) {
    throw new DestinationRefused(allowPrivate ? 'the URL must use https or http' : 'the URL must use https');
  }
  if (url.username !== '' || url.password !== '') throw new DestinationRefused('the URL must not carry credentials');
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (host === '') throw new DestinationRefused('the URL has no host');
  const resolved = await resolveAll(host);
  if (resolved.length === 0) throw new DestinationRefused(`${host} does not resolve`);
  for (const r of resolved) {
    const kind = classifyAddress(r.address);
    if (kind === 'refused') throw new DestinationRefused(`${host} resolves to ${r.address}, a link-local, metadata or reserved address`);
    if (kind === 'private' && !allowPrivate) throw new DestinationRefused(`${host} resolves to ${r.address}, a loopback or private address`);
    if (kind === 'public' && url.protocol === 'http:') throw new DestinationRefused(`${host} is a public address: the URL must use https`);
  }
  const first = resolved[0];
  return { url, host, address: first.address, family: first.family === 6 ? 6 : 4 };
}
