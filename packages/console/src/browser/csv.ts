// CSV export: RFC 4180 quoting with the cells kept from being read as formulas (the same cell rule as
// tandemctl's, report-rows.ts), and a download the browser makes from memory.
import { csvCell } from '../report-rows.js';

export function toCsv(header: string[], rows: (string | number)[][]): string {
  return `${[header, ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n')}\r\n`;
}

export function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
