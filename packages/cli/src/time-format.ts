// Times in human output: the ledger's milliseconds since the epoch, shown as ISO 8601 (UTC).

/** Milliseconds since the epoch as ISO 8601; 0 means "no date" and renders as null. */
export function isoTime(milliseconds: number): string | null {
  return milliseconds === 0 ? null : new Date(milliseconds).toISOString();
}
