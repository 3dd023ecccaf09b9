import { apiKey } from '../session/key.js';
import type { Problem } from './types.js';

export type ApiResult<T> = { ok: true; status: number; data: T } | { ok: false; status: number; problem: Problem };

const NETWORK_PROBLEM = (detail: string): Problem => ({ title: 'Network error', status: 0, detail, code: 'service_unavailable' });

/** Dispatched on `window` when the signed-in key is refused (revoked, e.g. from the Keys page): the app signs out. */
export const KEY_REFUSED = 'factline:key-refused';

/**
 * Every call goes through here: the key from sessionStorage as a Bearer header, JSON in and out,
 * and any non-2xx turned into its problem+json body so pages can show it next to the field.
 */
export async function api<T>(method: string, path: string, body?: unknown, key = apiKey()): Promise<ApiResult<T>> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (key) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    return { ok: false, status: 0, problem: NETWORK_PROBLEM(`The service did not answer: ${String(e)}`) };
  }
  return refusedCheck(await read<T>(res), key);
}

/** A 401 for the key this tab is signed in with (not a key being tried at sign-in): it was revoked. */
function refusedCheck<T>(result: ApiResult<T>, key: string | null): ApiResult<T> {
  if (!result.ok && result.status === 401 && key !== null && key === apiKey()) dispatchEvent(new CustomEvent<Problem>(KEY_REFUSED, { detail: result.problem }));
  return result;
}

async function read<T>(res: Response): Promise<ApiResult<T>> {
  if (res.status === 204) return { ok: true, status: 204, data: undefined as T };
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (res.ok) return { ok: true, status: res.status, data: parsed as T };
  const problem = (parsed && typeof parsed === 'object' ? parsed : { title: res.statusText || 'Error', status: res.status, detail: text.slice(0, 300) }) as Problem;
  return { ok: false, status: res.status, problem };
}

/**
 * SPEC §6 streaming export: the CSV comes with `Accept: text/csv` and the Bearer header, which a
 * plain link cannot send, so it is fetched and handed to the browser as a Blob download.
 */
export async function downloadCsv(path: string, body: unknown, fallbackName = 'report.csv'): Promise<ApiResult<{ filename: string; bytes: number }>> {
  let res: Response;
  const key = apiKey();
  try {
    res = await fetch(path, {
      method: 'POST',
      headers: { accept: 'text/csv', 'content-type': 'application/json', authorization: `Bearer ${key ?? ''}` },
      body: JSON.stringify(body),
    });
  } catch (e) {
    return { ok: false, status: 0, problem: NETWORK_PROBLEM(`The service did not answer: ${String(e)}`) };
  }
  if (!res.ok) return refusedCheck(await read(res), key);
  const blob = await res.blob();
  const filename = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? fallbackName;
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return { ok: true, status: res.status, data: { filename, bytes: blob.size } };
}
