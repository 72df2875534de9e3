// A small table formatter for human output: a header row, then one row per record, columns padded
// to their widest cell. Columns whose cells are all numbers are right-aligned.

export type Cell = string | number | boolean | null | undefined;

/** How a cell reads: '-' for nothing, yes/no for booleans. */
export function renderCell(cell: Cell): string {
  if (cell === null || cell === undefined || cell === '') return '-';
  if (typeof cell === 'boolean') return cell ? 'yes' : 'no';
  return String(cell);
}

export function formatTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  for (const [index, row] of rows.entries()) {
    if (row.length !== headers.length) {
      throw new Error(`table row ${index} has ${row.length} cells for ${headers.length} columns`);
    }
  }
  const rendered = rows.map((row) => row.map(renderCell));
  const numeric = headers.map((_, column) => {
    const cells = rows.map((row) => row[column]).filter((cell) => cell !== null && cell !== undefined);
    return cells.length > 0 && cells.every((cell) => typeof cell === 'number');
  });
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rendered.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => {
        const width = widths[column] ?? 0;
        return numeric[column] ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return `${[line(headers), ...rendered.map(line)].join('\n')}\n`;
}

/** Two columns, name and value, without a header: for showing one record. */
export function formatRecord(pairs: readonly (readonly [string, Cell])[]): string {
  const width = Math.max(0, ...pairs.map(([name]) => name.length + 1));
  return (
    pairs.map(([name, value]) => `${`${name}:`.padEnd(width)}  ${renderCell(value)}`.trimEnd()).join('\n') +
    '\n'
  );
}
