// status | verify | snapshot | cluster transfer-leadership | cluster drain | cluster undrain.
import {
  collectStatus,
  collectVerify,
  type StatusNode,
  type StatusReport,
  type VerifyReport,
} from './cluster-report.js';
import { ExitCode } from './exit-codes.js';
import type { Session } from './session.js';
import { formatTable } from './table.js';

/** Enough of a sha256 to tell states apart at a glance; --json has the whole hash. */
const SHORT_HASH_LENGTH = 12;

function shortHash(hash: string | null): string | null {
  return hash === null ? null : hash.slice(0, SHORT_HASH_LENGTH);
}

/**
 * A status row's hash, with the index it is of when that is not the applied index (0: a node from
 * before state_hash_index, whose hash is of its applied index). A node catching up, or a main about
 * to take leadership back, has not hashed its ledger since it started: "not yet".
 */
function statusHash(node: StatusNode): string | null {
  const hash = shortHash(node.stateHash);
  const index = node.stateHashIndex;
  if (hash === '' && node.reachable && node.role !== 'witness') return 'not yet';
  if (hash === null || hash === '' || index === null || index === 0 || index === node.appliedIndex)
    return hash;
  return `${hash}@${node.stateHashIndex}`;
}

export function statusTable(report: StatusReport): string {
  const table = formatTable(
    ['ID', 'ADDRESS', 'ROLE', 'STATE', 'TERM', 'COMMIT', 'APPLIED', 'LAG', 'IN-SYNC', 'HASH', 'SECURITY'],
    report.nodes.map((node) => [
      node.id,
      node.address,
      node.role,
      node.state,
      node.term,
      node.commitIndex,
      node.appliedIndex,
      node.lagEntries,
      node.inSync,
      statusHash(node),
      node.security,
    ]),
  );
  const incidents =
    report.openIncidents !== null && report.openIncidents > 0
      ? `incidents: ${report.openIncidents} open (see tandemctl incidents)\n`
      : '';
  const insecure = report.nodes
    .filter((node) => node.security === 'insecure')
    .map((node) => node.id ?? node.address);
  const warning =
    insecure.length > 0
      ? `WARNING: INSECURE: ${insecure.join(', ')} run${insecure.length === 1 ? 's' : ''} without TLS and authentication (insecure: true)\n`
      : '';
  const drained =
    report.drained.length > 0
      ? `drained: ${report.drained.join(', ')} (no leadership until tandemctl cluster undrain)\n`
      : '';
  return `${table}leader: ${report.leader ?? 'none'}\n${drained}cluster id: ${report.clusterId ?? 'not recorded yet'}\n${incidents}${warning}`;
}

export function verifyTable(report: VerifyReport): string {
  const table = formatTable(
    ['ID', 'ADDRESS', 'APPLIED', 'STATE HASH', 'LOG HASH (AT INDEX)'],
    report.nodes.map((node) => [
      node.id,
      node.address,
      node.appliedIndex,
      node.stateHash ?? node.error ?? 'unreachable',
      node.reachable
        ? node.logHash === null
          ? 'unknown'
          : `${shortHash(node.logHash)} (${node.logHashIndex})`
        : null,
    ]),
  );
  const stateVerdict =
    report.stateHashesEqual === null
      ? 'not compared (the nodes kept applying new entries; ask again)'
      : report.stateHashesEqual
        ? 'equal'
        : 'DIFFERENT';
  const logVerdict =
    report.logHashesEqual === null
      ? 'not comparable (a chain is unknown, or the nodes answered at different indices)'
      : report.logHashesEqual
        ? 'equal'
        : 'DIFFERENT: the logs hold different entries';
  const missing = report.complete ? '' : ' (not every node answered)';
  return `${table}waited for index ${report.waitForIndex}; state hashes ${stateVerdict}; log hashes ${logVerdict}${missing}\n`;
}

export async function status(session: Session): Promise<number> {
  const report = await collectStatus(session.admin(), session.settings().servers);
  session.print(report, () => statusTable(report));
  return report.nodes.some((node) => node.reachable) ? ExitCode.ok : ExitCode.unavailable;
}

export async function verify(session: Session): Promise<number> {
  const report = await collectVerify(session.admin(), session.settings().servers);
  session.print(report, () => verifyTable(report));
  if (!report.equal) return ExitCode.rejected;
  return report.complete ? ExitCode.ok : ExitCode.unavailable;
}

export async function snapshot(session: Session, address: string | undefined): Promise<number> {
  const result = await session.admin().snapshot(address);
  session.print(
    result,
    () =>
      `snapshot of ${result.nodeId || address || 'the leader'} at index ${result.index} (term ${result.term}), ` +
      `${result.sizeBytes} bytes, state hash ${result.stateHash}\n`,
  );
  return ExitCode.ok;
}

export async function transferLeadership(session: Session, toNodeId: string): Promise<number> {
  const result = await session.admin().transferLeadership(toNodeId);
  session.print(
    result,
    () => `leadership transferred to ${result.leaderId || toNodeId} (term ${result.term})\n`,
  );
  return ExitCode.ok;
}

export async function drainNode(session: Session, nodeId: string): Promise<number> {
  const result = await session.admin().drainNode(nodeId);
  session.print(
    result,
    () =>
      `${nodeId} drained: ${result.leaderId || 'no node'} leads (term ${result.term}); ` +
      `${nodeId} stays out of leadership until tandemctl cluster undrain ${nodeId}\n`,
  );
  return ExitCode.ok;
}

export async function undrainNode(session: Session, nodeId: string): Promise<number> {
  const result = await session.admin().undrainNode(nodeId);
  const others = result.drained.length === 0 ? '' : ` (still drained: ${result.drained.join(', ')})`;
  session.print(
    result,
    () =>
      `${nodeId} undrained: ${result.leaderId || 'no node'} leads (term ${result.term}); ` +
      `a main takes leadership back once it is in sync${others}\n`,
  );
  return ExitCode.ok;
}
