import type { TestApp } from './test-app.js';

/** A tiny client bound to one API key. */
export function client(t: TestApp, key: string) {
  const auth = `Bearer ${key}`;
  return {
    post: (path: string, body?: unknown) => {
      const req = t.http().post(path).set('authorization', auth);
      return body === undefined ? req : req.send(body as object);
    },
    get: (path: string) => t.http().get(path).set('authorization', auth),
    patch: (path: string, body?: unknown) => {
      const req = t.http().patch(path).set('authorization', auth);
      return body === undefined ? req : req.send(body as object);
    },
    delete: (path: string) => t.http().delete(path).set('authorization', auth),
    ingest: async (source: string, records: unknown[]) => {
      const res = await t.http().post(`/v1/ingest/${source}`).set('authorization', auth).send({ records });
      if (res.status !== 200) throw new Error(`ingest ${source} → ${res.status} ${JSON.stringify(res.body)}`);
      return res.body as { accepted: number; enqueued: number };
    },
    /** Runs projector passes for this key's org until nothing is left to claim. */
    project: async (limit = 5000) => {
      const total = { claimed: 0, completed: 0, failed: 0 };
      for (let i = 0; i < 100; i++) {
        const res = await t.http().post(`/v1/reports/projector/run?limit=${limit}`).set('authorization', auth);
        if (res.status !== 200) throw new Error(`projector → ${res.status} ${JSON.stringify(res.body)}`);
        total.claimed += res.body.claimed;
        total.completed += res.body.completed;
        total.failed += res.body.failed;
        if (res.body.claimed === 0) return total;
      }
      throw new Error('projector did not drain');
    },
  };
}

export const uuidOf = (publicId: string) => {
  const hex = publicId.slice(publicId.lastIndexOf('_') + 1);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};
