// How the console writes times, durations and numbers.

export function time(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || ms === 0) return '—';
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}

export function duration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

/** NODE_STATE_LEADER → leader, ROLE_BACKUP → backup. */
export function enumWord(value: string | undefined): string {
  if (value === undefined || value === '') return '—';
  return value
    .replace(/^(NODE_STATE|ROLE|LICENCE_STATUS|INCIDENT_KIND|PERIOD|AUDIT_ORIGIN)_/, '')
    .toLowerCase()
    .replace(/_/g, ' ');
}
