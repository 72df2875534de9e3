// A node's Prometheus metrics: one registry per node (never prom-client's global one, so that tests
// run several nodes in one process), holding build information and the families of licence-,
// consensus-, storage-, RPC- and certificate-metrics.ts; render() adds the process's default
// metrics (process-metrics.ts). Most values are read from the node's state when render() is
// called; only the RPC and storage observations and the per-licence counters are taken as things
// happen. docs/metrics.md lists every family.
import { Gauge, Registry } from 'prom-client';
import { type CertificateExpiry, CertificateMetrics } from './certificate-metrics.js';
import type { NodeRole } from './config.js';
import { ConsensusMetrics, type ConsensusMetricsOptions, type ConsensusSource } from './consensus-metrics.js';
import { LicenceMetrics } from './licence-metrics.js';
import { processRegistry } from './process-metrics.js';
import { RpcMetrics } from './rpc-metrics.js';
import { StorageMetrics } from './storage-metrics.js';

export interface NodeMetricsOptions extends ConsensusMetricsOptions {
  role: NodeRole;
  version: string;
}

/** What GET /metrics answers. */
export interface RenderedMetrics {
  contentType: string;
  body: string;
}

export class NodeMetrics {
  /** This node's own families (the process's default metrics are added by render()). */
  readonly registry = new Registry();
  readonly storage: StorageMetrics;
  readonly rpc: RpcMetrics;
  readonly consensus: ConsensusMetrics;
  private readonly licences: LicenceMetrics;
  private readonly certificates: CertificateMetrics;

  constructor(options: NodeMetricsOptions) {
    new Gauge({
      name: 'tandem_build_info',
      help: 'Always 1; the labels say which tandemd this is: version, node id and configured role.',
      labelNames: ['version', 'node', 'role'],
      registers: [this.registry],
    }).set({ version: options.version, node: options.nodeId, role: options.role }, 1);
    this.storage = new StorageMetrics(this.registry);
    this.licences = new LicenceMetrics(this.registry);
    this.rpc = new RpcMetrics(this.registry, this.licences.meters());
    this.consensus = new ConsensusMetrics(this.registry, options);
    this.certificates = new CertificateMetrics(this.registry);
  }

  /** Reads the node's state from now on: the replica once open, the certificates in use. */
  watch(sources: { replica: ConsensusSource; certificates: CertificateExpiry }): void {
    const { replica } = sources;
    this.consensus.watch(replica);
    this.licences.watch(() => replica.ledger);
    this.certificates.watch(sources.certificates);
  }

  /** Every metric in the Prometheus text format, with the state read now. */
  async render(): Promise<RenderedMetrics> {
    this.consensus.refresh();
    this.licences.refresh();
    this.certificates.refresh();
    const registry = Registry.merge([processRegistry(), this.registry]);
    return { contentType: registry.contentType, body: await registry.metrics() };
  }
}
