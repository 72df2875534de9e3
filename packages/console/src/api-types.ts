// The console's JSON API (GET/POST /api/* on a node's HTTP port) as far as the page relies on it.
// The server answers these shapes (packages/server/src/console-api.ts); most bodies are the
// AdminService responses of the same name, as JSON with the proto field names in camelCase.
import type { BillingReport, ReportRowView } from '@tandem/client';

/** GET /api/session: who the page is talking as, and to which node. */
export interface ConsoleSession {
  name: string;
  role: string;
  via: 'certificate' | 'token' | 'insecure';
  nodeId: string;
  /** May this caller revoke leases (the operator or admin role)? The server checks again. */
  canRevoke: boolean;
  /** The consoles of the cluster's data nodes, where the configuration gives their httpAddress. */
  consoles: { nodeId: string; url: string }[];
}

/** A change of leader or term this node saw (sampled by the node; the most recent last). */
export interface LeadershipChange {
  atMs: number;
  term: number;
  /** Empty while no leader is known. */
  leaderId: string;
}

/** Seats in use of one licence at one moment, sampled by the node (the live chart). */
export interface UtilisationSample {
  atMs: number;
  seatsInUse: number;
  seats: number;
}

/**
 * GET /api/licences/<id>/utilisation[?sinceMs=]: the live samples the node holds in memory (the last
 * hour), oldest first. Utilisation over hours and days comes from GET /api/report.
 */
export interface UtilisationResponse {
  licenceId: string;
  intervalMs: number;
  samples: UtilisationSample[];
}

/**
 * One event of GET /api/events (server-sent events). `status` comes at once, then whenever the
 * node's view changes (leader, term, applied index, health), and at least every keepalive.
 */
export interface ConsoleStatusEvent {
  nodeId: string;
  atMs: number;
  appliedIndex: number;
  /** The ClusterStatus response of this node. */
  cluster: ClusterStatusJson;
  leadership: LeadershipChange[];
}

/** The parts of ClusterStatusResponse the console shows. */
export interface ClusterStatusJson {
  leaderId: string;
  inSync: string[];
  openIncidents: number;
  clusterId: string;
  nodes: NodeStatusJson[];
  header?: { term: number; nodeId: string; leaderId: string; appliedIndex: number } | null;
}

export interface NodeStatusJson {
  id: string;
  address: string;
  role: string;
  state: string;
  term: number;
  commitIndex: number;
  appliedIndex: number;
  inSync: boolean;
  lagEntries: number;
  lagMs: number;
  lastContactMs: number;
  reachable: boolean;
  mode: string;
  version: string;
  security: string;
}

/** A JSON error answer: 4xx and 5xx. */
export interface ApiError {
  error: string;
  message: string;
  field?: string;
  rolesNeeded?: string[];
  leaderId?: string;
  leaderAddress?: string;
}

/** The kinds of usage report, and how their rows are grouped in time (GET /api/report). */
export type ReportKindJson = 'usage' | 'leases';
export type ReportGroupingJson = 'hour' | 'day' | 'week' | 'month' | 'total';

/**
 * One row of a usage report: who, which period, and the figures of the report's kind. The JSON
 * the console reads has the fields of the client library's view (one shape for tandemctl, the
 * client and the console).
 */
export type ReportRowJson = ReportRowView;

/** One licence's figures for one period, across its workstations. */
export type ReportLicenceJson = BillingReport['licences'][number];

/**
 * A stretch of the range the answering node's index does not cover: its figures are incomplete.
 * `reason` is `retention` (older than reports.retentionDays) or `snapshot` (installed instead of
 * entries).
 */
export type ReportGapJson = BillingReport['incomplete'][number];

/**
 * GET /api/report?kind=usage|leases&fromMs=&toMs=[&by=][&licenceId=][&limit=]: the answering node's
 * GetReport response, the same figures `tandemctl report` prints for the same query.
 */
export interface ReportJson {
  /** The node that answered (each node answers from its own index). */
  nodeId: string;
  kind: ReportKindJson;
  fromMs: number;
  toMs: number;
  by: ReportGroupingJson;
  /** The last log index and entry time the figures include. */
  asOfIndex: number;
  asOfMs: number;
  incomplete: ReportGapJson[];
  rows: ReportRowJson[];
  licences: ReportLicenceJson[];
  /** More rows than the limit: the rest were left out. */
  truncated: boolean;
}
