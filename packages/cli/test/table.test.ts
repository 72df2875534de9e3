import { expect } from 'chai';
import { formatRecord, formatTable, renderCell } from '../src/table.js';

describe('table formatting', () => {
  it('pads columns to the widest cell and right-aligns numeric columns', () => {
    const text = formatTable(
      ['ID', 'SEATS', 'STATUS'],
      [
        ['cad', 5, 'active'],
        ['simulation-suite', 120, 'deactivated'],
      ],
    );
    expect(text).to.equal(
      [
        'ID                SEATS  STATUS',
        'cad                   5  active',
        'simulation-suite    120  deactivated',
        '',
      ].join('\n'),
    );
  });

  it('renders nothing as "-" and booleans as yes/no, and trims trailing spaces', () => {
    const text = formatTable(
      ['A', 'B', 'C'],
      [
        [null, true, undefined],
        ['x', false, ''],
      ],
    );
    expect(text).to.equal(['A  B    C', '-  yes  -', 'x  no   -', ''].join('\n'));
    expect(renderCell(0)).to.equal('0');
  });

  it('keeps a column with missing numbers right-aligned, and prints a header alone for no rows', () => {
    expect(formatTable(['TERM'], [[12], [null]])).to.equal(['TERM', '  12', '   -', ''].join('\n'));
    expect(formatTable(['ID', 'STATE'], [])).to.equal('ID  STATE\n');
  });

  it('refuses rows that do not match the header', () => {
    expect(() => formatTable(['A', 'B'], [['only one']])).to.throw('row 0 has 1 cells for 2 columns');
  });

  it('formats one record as aligned name: value lines', () => {
    expect(
      formatRecord([
        ['id', 'cad'],
        ['seats in use', 3],
        ['quota', null],
      ]),
    ).to.equal(['id:            cad', 'seats in use:  3', 'quota:         -', ''].join('\n'));
  });
});
