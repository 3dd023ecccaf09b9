import { decodeCursor, encodeCursor, type AppRunsCursor } from './app-runs.cursor.js';

const CURSOR: AppRunsCursor = {
  appId: '0196a1b2-c3d4-7000-8000-000000000001',
  windowMs: 86_400_000,
  windowText: '24h',
  now: '2026-05-01T10:30:00.000Z',
  createdAt: '2026-05-01T09:59:59.123456Z',
  id: '0196a1b2-c3d4-7000-8000-0000000000ff',
};

const KEY = Buffer.alloc(32, 7);
const OTHER_KEY = Buffer.alloc(32, 8);

const rewrap = (payload: unknown, digestFrom: string) => `${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${digestFrom.split('.')[1]}`;

describe('app runs cursor', () => {
  it('round-trips, keeping created_at to the microsecond', () => {
    const text = encodeCursor(CURSOR, KEY);
    expect(text).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    expect(decodeCursor(text, KEY)).toEqual(CURSOR);
  });

  it('refuses an altered payload even when it is well-formed', () => {
    const text = encodeCursor(CURSOR, KEY);
    const payload = JSON.parse(Buffer.from(text.split('.')[0], 'base64url').toString('utf8'));
    expect(decodeCursor(rewrap({ ...payload, t: '2026-05-01T09:00:00Z' }, text), KEY)).toBeNull();
    expect(decodeCursor(rewrap({ ...payload, a: '0196a1b2-c3d4-7000-8000-000000000002' }, text), KEY)).toBeNull();
  });

  it('refuses a cursor signed with another key (forged with the public format)', () => {
    expect(decodeCursor(encodeCursor(CURSOR, OTHER_KEY), KEY)).toBeNull();
  });

  it('refuses an altered digest', () => {
    const text = encodeCursor(CURSOR, KEY);
    const last = text.at(-1) === 'A' ? 'B' : 'A';
    expect(decodeCursor(`${text.slice(0, -1)}${last}`, KEY)).toBeNull();
  });

  it.each([
    '', 'abc', 'abc.def', '.', '....', 'eyJ2IjoxfQ', 'eyJ2IjoxfQ.AAAAAAAAAAAAAAAAAAAAAA', '%%%.AAAAAAAAAAAAAAAAAAAAAA',
    Buffer.from(JSON.stringify(['2026-05-01T00:00:00.000Z', '0196a1b2-c3d4-7000-8000-000000000001'])).toString('base64url'),
  ])('refuses %j (not ours)', (text) => {
    expect(decodeCursor(text, KEY)).toBeNull();
  });
});
