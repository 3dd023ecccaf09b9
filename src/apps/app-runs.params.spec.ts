import { encodeCursor } from './app-runs.cursor.js';

const KEY = Buffer.alloc(32, 7);
import { parseAppRunsQuery, parseCursor, parseGroupBy, parseLimit, parseWindow } from './app-runs.params.js';

const M = 60_000;
const H = 60 * M;
const D = 24 * H;
const SHAPE = 'a positive whole number followed by m (minutes), h (hours) or d (days), e.g. 60m, 24h or 7d';
const err = (name: string, message: string, allowed?: string[]) => ({ ok: false, error: { pointer: `/query/${name}`, message, ...(allowed ? { allowed } : {}) } });

describe('parseWindow', () => {
  it.each([
    [undefined, '24h', D],
    ['24h', '24h', D],
    ['60m', '60m', H],
    ['1m', '1m', M],
    ['7d', '7d', 7 * D],
    ['30d', '30d', 30 * D],
    ['720h', '720h', 30 * D],
    ['43200m', '43200m', 30 * D],
    ['007d', '007d', 7 * D],
  ])('%s → %s', (raw, text, ms) => {
    expect(parseWindow(raw)).toEqual({ ok: true, value: { text, ms } });
  });

  it.each([
    ['', err('window', `window is empty; give ${SHAPE}, or omit it for the default 24h`)],
    ['24x', err('window', 'window unit "x" is not supported; use m (minutes), h (hours) or d (days); got "24x"', ['m', 'h', 'd'])],
    ['24s', err('window', 'window unit "s" is not supported; use m (minutes), h (hours) or d (days); got "24s"', ['m', 'h', 'd'])],
    ['1w', err('window', 'window unit "w" is not supported; use m (minutes), h (hours) or d (days); got "1w"', ['m', 'h', 'd'])],
    ['24H', err('window', 'window unit "H" is not supported; use m (minutes), h (hours) or d (days); got "24H"', ['m', 'h', 'd'])],
    ['24', err('window', 'window needs a unit: m (minutes), h (hours) or d (days), e.g. 24h; got "24"')],
    ['0h', err('window', 'window must be positive; got "0h"')],
    ['0m', err('window', 'window must be positive; got "0m"')],
    ['-1h', err('window', 'window must be positive; got "-1h"')],
    ['-0d', err('window', 'window must be positive; got "-0d"')],
    ['+2h', err('window', `window must be ${SHAPE} without a sign; got "+2h"`)],
    ['31d', err('window', 'window may be at most 30d (720h, 43200m); got "31d"')],
    ['721h', err('window', 'window may be at most 30d (720h, 43200m); got "721h"')],
    ['43201m', err('window', 'window may be at most 30d (720h, 43200m); got "43201m"')],
    ['99999999999999999999d', err('window', 'window may be at most 30d (720h, 43200m); got "99999999999999999999d"')],
    ['abc', err('window', `window must be ${SHAPE}; got "abc"`)],
    ['h', err('window', `window must be ${SHAPE}; got "h"`)],
    ['1.5h', err('window', `window must be ${SHAPE}; got "1.5h"`)],
    ['1e3m', err('window', `window must be ${SHAPE}; got "1e3m"`)],
    [' 24h', err('window', `window must be ${SHAPE}; got " 24h"`)],
    ['24 h', err('window', `window must be ${SHAPE}; got "24 h"`)],
    [['1h', '2h'], err('window', 'window was given 2 times; give it once')],
  ])('%j is refused', (raw, expected) => {
    expect(parseWindow(raw)).toEqual(expected);
  });

  it('quotes a long value only in part, and never throws on any digit count', () => {
    const raw = `${'9'.repeat(5000)}m`;
    expect(parseWindow(raw)).toEqual(err('window', `window may be at most 30d (720h, 43200m); got "${'9'.repeat(40)}…"`));
  });
});

describe('parseGroupBy', () => {
  it.each([
    [undefined, undefined, null],
    ['hour', undefined, 'hour'],
    [undefined, 'hour', 'hour'],
    ['hour', 'hour', 'hour'],
  ])('group_by=%s groupBy=%s → %s', (a, b, value) => {
    expect(parseGroupBy(a, b)).toEqual({ ok: true, value });
  });

  it.each([
    ['day', undefined, err('group_by', 'group_by must be "hour", the only supported grouping; got "day"', ['hour'])],
    [undefined, 'HOUR', err('groupBy', 'groupBy must be "hour", the only supported grouping; got "HOUR"', ['hour'])],
    ['', undefined, err('group_by', 'group_by is empty; the only supported grouping is "hour" (or omit group_by for no histogram)', ['hour'])],
    ['hour', 'day', err('groupBy', 'group_by and groupBy are two spellings of one parameter and were given different values ("hour" and "day"); give one of them', ['hour'])],
    [['hour', 'hour'], undefined, err('group_by', 'group_by was given 2 times; give it once')],
    [undefined, ['hour', 'day'], err('groupBy', 'groupBy was given 2 times; give it once')],
  ])('group_by=%j groupBy=%j is refused', (a, b, expected) => {
    expect(parseGroupBy(a, b)).toEqual(expected);
  });
});

describe('parseLimit', () => {
  it.each([
    [undefined, 100],
    ['1', 1],
    ['1000', 1000],
    ['050', 50],
  ])('%s → %d', (raw, value) => {
    expect(parseLimit(raw)).toEqual({ ok: true, value });
  });

  it.each(['0', '1001', '-1', '1.5', 'abc', '1e3', ' 5', '99999999999999999999999'])('%j is refused', (raw) => {
    expect(parseLimit(raw)).toEqual(err('limit', `limit must be a whole number from 1 to 1000; got ${JSON.stringify(raw)}`));
  });

  it('empty and repeated are refused', () => {
    expect(parseLimit('')).toEqual(err('limit', 'limit is empty; give a whole number from 1 to 1000, or omit it for the default 100'));
    expect(parseLimit(['1', '2'])).toEqual(err('limit', 'limit was given 2 times; give it once'));
  });
});

const APP = '0196a1b2-c3d4-7000-8000-000000000001';
const NOT_OURS = 'cursor was not issued by this API or was altered; pass next_cursor from the previous page unchanged, or omit cursor to start from the first page';
const CURSOR = { appId: APP, windowMs: D, windowText: '24h', now: '2026-05-01T10:30:00.000Z', createdAt: '2026-05-01T10:00:00.5Z', id: '0196a1b2-c3d4-7000-8000-0000000000ff' };

describe('parseCursor', () => {
  const day = { text: '24h', ms: D };

  it('absent → null; ours, for this app and an equal window → decoded', () => {
    expect(parseCursor(undefined, APP, day, KEY)).toEqual({ ok: true, value: null });
    expect(parseCursor(encodeCursor(CURSOR, KEY), APP, day, KEY)).toEqual({ ok: true, value: CURSOR });
    expect(parseCursor(encodeCursor(CURSOR, KEY), APP, { text: '1440m', ms: D }, KEY)).toEqual({ ok: true, value: CURSOR });
  });

  it('empty, not ours, oversized and repeated are refused', () => {
    expect(parseCursor('', APP, day, KEY)).toEqual(err('cursor', 'cursor is empty; pass next_cursor from the previous page, or omit cursor for the first page'));
    expect(parseCursor('abc', APP, day, KEY)).toEqual(err('cursor', NOT_OURS));
    expect(parseCursor('x'.repeat(1001), APP, day, KEY)).toEqual(err('cursor', NOT_OURS));
    expect(parseCursor(['a', 'b'], APP, day, KEY)).toEqual(err('cursor', 'cursor was given 2 times; give it once'));
  });

  it('a cursor of another app, or of another window, is refused', () => {
    expect(parseCursor(encodeCursor(CURSOR, KEY), '0196a1b2-c3d4-7000-8000-000000000002', day, KEY)).toEqual(
      err('cursor', 'cursor belongs to the run history of another app; omit cursor to start from the first page of this one'),
    );
    expect(parseCursor(encodeCursor(CURSOR, KEY), APP, { text: '7d', ms: 7 * D }, KEY)).toEqual(
      err('cursor', "cursor continues a listing with window=24h, but this request asks for window=7d; repeat the first page's window, or omit cursor to start over"),
    );
    // An invalid window is reported on its own; the cursor is then only checked for being ours.
    expect(parseCursor(encodeCursor(CURSOR, KEY), APP, null, KEY)).toEqual({ ok: true, value: CURSOR });
  });
});

describe('parseAppRunsQuery', () => {
  it('defaults', () => {
    expect(parseAppRunsQuery({}, APP, KEY)).toEqual({ ok: true, value: { window: { text: '24h', ms: D }, groupBy: null, limit: 100, cursor: null } });
  });

  it('reports every bad parameter at once, in a fixed order', () => {
    const result = parseAppRunsQuery({ window: '0h', group_by: 'day', limit: '0', cursor: 'nope' }, APP, KEY);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors.map((e) => e.pointer)).toEqual(['/query/window', '/query/group_by', '/query/limit', '/query/cursor']);
  });
});
