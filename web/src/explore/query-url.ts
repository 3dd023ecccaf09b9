import type { ReportQuery } from '../api/types.js';

// SPEC §13: the whole query in the URL, `/explore?q=<base64url of the ReportQuery JSON>`.

export function encodeQuery(q: ReportQuery): string {
  const bytes = new TextEncoder().encode(JSON.stringify(q));
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** null for anything that is not base64url of a JSON object with a dataset. */
export function decodeQuery(param: string | null): ReportQuery | null {
  if (!param) return null;
  try {
    const b64 = param.replace(/-/g, '+').replace(/_/g, '/');
    const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
    const parsed: unknown = JSON.parse(new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0))));
    if (!parsed || typeof parsed !== 'object' || typeof (parsed as { dataset?: unknown }).dataset !== 'string') return null;
    return parsed as ReportQuery;
  } catch {
    return null;
  }
}

export const exploreHref = (q: ReportQuery) => `/explore?q=${encodeQuery(q)}`;
