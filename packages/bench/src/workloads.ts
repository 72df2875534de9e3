// The licences each loop workload runs on, and which licence each workstation uses. A workstation
// always uses the same licence (workstation i takes licence i mod the licence count), as a real
// workstation runs one product.
import type { SeatWorkloadName } from './bench-options.js';
import type { LicenceLayout } from './seat-backend.js';
import type { LoopKind } from './workstation-loop.js';

export const SPREAD_LICENCES = 4096;
export const SPREAD_SEATS = 16;
export const CONTENDED_LICENCES = 8;
export const CONTENDED_SEATS = 16;
export const USAGE_LICENCES = 8;

export type LoopWorkloadName = SeatWorkloadName | 'usage';

export interface RunPlan {
  workload: LoopWorkloadName;
  kind: LoopKind;
  workstations: number;
  /** Runs that share this key share their licences (activated once per cluster). */
  licenceSetKey: string;
  licences: LicenceLayout[];
  licenceFor: (position: number) => string;
  runName: string;
}

function numbered(prefix: string, count: number, seats: number): LicenceLayout[] {
  return Array.from({ length: count }, (_, position) => ({ licenceId: `${prefix}-${position}`, seats }));
}

/** seats = half the workstations, at least one. */
export function denialSeats(workstations: number): number {
  return Math.max(1, Math.floor(workstations / 2));
}

export function planRun(workload: LoopWorkloadName, workstations: number): RunPlan {
  let licenceSetKey: string;
  let licences: LicenceLayout[];
  switch (workload) {
    case 'spread':
      licenceSetKey = 'spread';
      licences = numbered('spread', SPREAD_LICENCES, SPREAD_SEATS);
      break;
    case 'contended':
      licenceSetKey = 'contended';
      licences = numbered('contended', CONTENDED_LICENCES, CONTENDED_SEATS);
      break;
    case 'denials':
      licenceSetKey = `denials-w${workstations}`;
      licences = [{ licenceId: `denials-w${workstations}`, seats: denialSeats(workstations) }];
      break;
    case 'usage':
      // Fresh licences per run, so that the units they count can be checked against the reports.
      licenceSetKey = `usage-w${workstations}`;
      licences = numbered(`usage-w${workstations}`, USAGE_LICENCES, 1);
      break;
  }
  const ids = licences.map((licence) => licence.licenceId);
  return {
    workload,
    kind: workload === 'usage' ? 'usage' : 'seats',
    workstations,
    licenceSetKey,
    licences,
    licenceFor: (position) => ids[position % ids.length] as string,
    runName: `${workload}-w${workstations}`,
  };
}
