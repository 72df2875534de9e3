// The console's CSV export: RFC 4180 quoting, CRLF lines, and text that a spreadsheet would take
// for a formula kept as text.
import { expect } from 'chai';
import { toCsv } from '../src/browser/csv.js';

describe('console CSV export', () => {
  it('writes a header and rows with CRLF line ends', () => {
    expect(toCsv(['a', 'b'], [[1, 'x']])).to.equal('a,b\r\n1,x\r\n');
  });

  it('quotes commas, quotes and line breaks', () => {
    expect(toCsv(['text'], [['one, two'], ['say "hi"'], ['line\nbreak']])).to.equal(
      'text\r\n"one, two"\r\n"say ""hi"""\r\n"line\nbreak"\r\n',
    );
  });

  it('keeps text that starts like a formula as text, and numbers as numbers', () => {
    expect(toCsv(['v'], [['=SUM(A1)'], ['@x'], [-5]])).to.equal("v\r\n'=SUM(A1)\r\n'@x\r\n-5\r\n");
  });
});
