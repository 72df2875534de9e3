// A small table formatter for human output: a header row, then one row per record, columns padded
// to their widest cell. Columns whose cells are all numbers are right-aligned. Text from a server
// (licence names, hosts, a revoke's reason) is printed with control characters escaped, so that
// nothing a workstation or an operator typed can steer the terminal that reads it.

export type Cell = string | number | boolean | null | undefined;

/**
 * Control characters (C0, DEL, C1), bidirectional overrides and isolates, line and paragraph
 * separators, and lone surrogates, written as escapes (\n, \xNN, \u{NNNN}); everything else as is.
 */
export function escapeControl(text: string): string {
  return text.replace(/[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]|\p{Cs}/gu, (character) => {
    const code = character.codePointAt(0) ?? 0;
    if (character === '\n') return '\\n';
    if (character === '\t') return '\\t';
    if (character === '\r') return '\\r';
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}

/** How a cell reads: '-' for nothing, yes/no for booleans, text with control characters escaped. */
export function renderCell(cell: Cell): string {
  if (cell === null || cell === undefined || cell === '') return '-';
  if (typeof cell === 'boolean') return cell ? 'yes' : 'no';
  return escapeControl(String(cell));
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
  const lines = pairs.map(([name, value]) =>
    `${`${escapeControl(name)}:`.padEnd(width)}  ${renderCell(value)}`.trimEnd(),
  );
  return `${lines.join('\n')}\n`;
}
