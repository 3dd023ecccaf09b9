import { ValidateBy, ValidationOptions } from 'class-validator';
import { IdPrefix, isPublicId } from '#src/common/ids/public-id.js';

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

export function isRfc3339(value: unknown): value is string {
  if (typeof value !== 'string' || !RFC3339.test(value)) return false;
  const t = Date.parse(value);
  if (Number.isNaN(t)) return false;
  // Date.parse rolls 2026-02-31 over to March: reject by checking the calendar date survives.
  const [y, m, d] = value.slice(0, 10).split('-').map(Number);
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return y >= 1 && y <= 9999 && d <= days && m >= 1 && m <= 12;
}

/** An RFC 3339 timestamp with an explicit offset. */
export function IsRfc3339(options?: ValidationOptions) {
  return ValidateBy({ name: 'isRfc3339', validator: { validate: isRfc3339, defaultMessage: (a) => `${a?.property} must be an RFC 3339 timestamp with a time zone (e.g. 2026-05-01T12:00:00Z)` } }, options);
}

/** A public id `{prefix}_{32 lowercase hex}` (SPEC §2). */
export function IsPublicId(prefix: IdPrefix, options?: ValidationOptions) {
  return ValidateBy(
    { name: 'isPublicId', constraints: [prefix], validator: { validate: (v) => isPublicId(prefix, v), defaultMessage: (a) => `${a?.property} must be a ${prefix}_ id (${prefix}_ followed by 32 lowercase hex characters)` } },
    options,
  );
}

/** Whole number in [0, 2^53). */
export function IsCount(options?: ValidationOptions) {
  return ValidateBy(
    { name: 'isCount', validator: { validate: (v) => Number.isSafeInteger(v) && (v as number) >= 0, defaultMessage: (a) => `${a?.property} must be a non-negative integer` } },
    options,
  );
}

/**
 * A finite number with at most `places` decimal places. (class-validator's IsNumber
 * maxDecimalPlaces reads the digits after a '.' in String(value) and throws — a 500 — on numbers
 * JavaScript prints in exponent form, such as 1e-7 or 3e-323.)
 */
export function isDecimal(value: unknown, places: number): value is number {
  return typeof value === 'number' && Number.isFinite(value) && Math.abs(value) < 1e21 && Number(value.toFixed(places)) === value;
}

export function IsDecimal(places: number, options?: ValidationOptions) {
  return ValidateBy(
    { name: 'isDecimal', constraints: [places], validator: { validate: (v) => isDecimal(v, places), defaultMessage: (a) => `${a?.property} must be a number with at most ${places} decimal places` } },
    options,
  );
}

const DECIMAL_DIGITS = /^\d{1,15}$/;

/**
 * A query-string integer from `min` to `max`, written in decimal digits only: one clear message
 * for any bad value (not three contradictory ones for "abc"), and no `0x10` or `1e1` sneaking in
 * through Number(). Pair with @Transform(decimalInt).
 */
export const decimalInt = ({ value }: { value: unknown }) => (typeof value === 'string' && DECIMAL_DIGITS.test(value) ? Number(value) : value);

export function IsIntInRange(min: number, max: number, options?: ValidationOptions) {
  return ValidateBy(
    {
      name: 'isIntInRange',
      constraints: [min, max],
      validator: {
        validate: (v) => Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max,
        defaultMessage: (a) => `${a?.property} must be a whole number from ${min} to ${max} in decimal digits; got ${JSON.stringify(String(a?.value).slice(0, 40))}`,
      },
    },
    options,
  );
}
