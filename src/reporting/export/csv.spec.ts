import { csvCell, csvLine, slugFilename, toCsv } from './csv.js';

describe('csv', () => {
  it('quotes every field and doubles quotes', () => {
    expect(csvLine(['a', 'say "hi"', 'x,y', 'line\nbreak'])).toBe('"a","say ""hi""","x,y","line\nbreak"\r\n');
  });

  it('guards formula starts unless the cell is a number', () => {
    expect(csvCell('=SUM(A1)')).toBe(`"'=SUM(A1)"`);
    expect(csvCell('+cmd')).toBe(`"'+cmd"`);
    expect(csvCell('-x')).toBe(`"'-x"`);
    expect(csvCell('@me')).toBe(`"'@me"`);
    expect(csvCell('\tx')).toBe(`"'\tx"`);
    expect(csvCell('\rx')).toBe(`"'\rx"`);
    expect(csvCell(-5)).toBe('"-5"');
    expect(csvCell('-5.5')).toBe('"-5.5"');
    expect(csvCell('+1e3')).toBe('"+1e3"');
  });

  it('also guards a leading LF, and whitespace before a trigger (spreadsheets trim it); plain text with inner triggers is left alone', () => {
    expect(csvCell('\nx')).toBe(`"'\nx"`);
    expect(csvCell(' =1+1')).toBe(`"' =1+1"`);
    expect(csvCell('\u00a0\u3000@SUM(A1)')).toBe(`"'\u00a0\u3000@SUM(A1)"`);
    expect(csvCell('  -cmd')).toBe(`"'  -cmd"`);
    expect(csvCell(' x = y')).toBe('" x = y"');
    expect(csvCell('a-b')).toBe('"a-b"');
  });

  it('writes null as an empty unquoted field and keeps unicode', () => {
    expect(csvLine([null, undefined, '', 'héllo ✓'])).toBe(',,"","héllo ✓"\r\n');
  });

  it('builds a file with a header row', () => {
    expect(toCsv(['a', 'b'], [{ a: 1, b: null }, { a: 'x', b: 2.5 }])).toBe('"a","b"\r\n"1",\r\n"x","2.5"\r\n');
  });

  it('slugs saved-report names into file names', () => {
    expect(slugFilename('Weekly Tokens — by Model!')).toBe('weekly-tokens-by-model.csv');
    expect(slugFilename('Café crème')).toBe('cafe-creme.csv');
    expect(slugFilename('✓✓✓')).toBe('report.csv');
  });
});
