/**
 * CSV per SPEC §6: RFC 4180 with CRLF, every field quoted and quotes doubled; null is an empty,
 * unquoted field. Formula-injection guard: a text cell gets a leading ' when it starts with tab,
 * CR or LF, or with =, +, -, @ after any leading whitespace (spreadsheets trim it before deciding
 * a cell is a formula) — unless the whole cell is a plain number.
 */
const NUMERIC = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const FORMULA_START = /^(?:[\t\r\n]|\s*[=+\-@])/;

export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text: string;
  if (typeof value === 'number') text = Number.isFinite(value) ? String(value) : '';
  else if (typeof value === 'string') text = FORMULA_START.test(value) && !NUMERIC.test(value) ? `'${value}` : value;
  else if (value instanceof Date) text = value.toISOString();
  else text = String(value);
  return `"${text.replace(/"/g, '""')}"`;
}

export function csvLine(values: unknown[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}

export function toCsv(header: string[], rows: Record<string, unknown>[]): string {
  let out = csvLine(header);
  for (const row of rows) out += csvLine(header.map((h) => row[h]));
  return out;
}

/** A file name from a saved report's name: lowercase ASCII slug, never empty. */
export function slugFilename(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80)
    .replace(/-+$/g, '');
  return `${slug || 'report'}.csv`;
}
