// Tandem as a seat store: each workstation is a WorkstationClient with default settings (its own
// retries and leader following), so client errors counted here are errors an application sees.
// Secure as deployed: each workstation proves who it is with a certificate of its own, issued when
// the workstation is made, which the loops do before their clock starts; the admin calls go with an
// operator's certificate. Against an insecure cluster (bench --insecure), plaintext.
import {
  AdminClient,
  type ClientSettingsInput,
  connect,
  RejectedError,
  resolveSettings,
  type WorkstationClient,
} from '@tandem/client';
import { activateTestLicence, INSECURE_ACCESS, type TestPki } from '@tandem/testkit';
import {
  type AcquireOutcome,
  type BenchWorkstation,
  forEachLimited,
  type LicenceLayout,
  type SeatBackend,
  type SeatsCheck,
} from './seat-backend.js';

const ACTIVATIONS_IN_PARALLEL = 64;

/** How long a workstation may take to connect to every node before a run (512 handshakes at once). */
const CONNECT_BEFORE_RUN_MS = 120_000;

class TandemWorkstation implements BenchWorkstation {
  constructor(private readonly client: WorkstationClient) {}

  get term(): number {
    return this.client.term;
  }

  async connect(): Promise<void> {
    if (!(await this.client.whenConnected(CONNECT_BEFORE_RUN_MS))) {
      throw new Error(`the workstation did not connect to every node within ${CONNECT_BEFORE_RUN_MS} ms`);
    }
  }

  async acquire(licenceId: string): Promise<AcquireOutcome> {
    try {
      const lease = await this.client.acquire(licenceId);
      return { granted: true, release: () => lease.release() };
    } catch (error) {
      if (error instanceof RejectedError && error.reason === 'seat_limit_reached') return { granted: false };
      throw error;
    }
  }

  async reportUsage(licenceId: string, units: number): Promise<void> {
    await this.client.reportUsage(licenceId, units);
  }

  close(): void {
    this.client.close();
  }
}

export class TandemBackend implements SeatBackend {
  readonly system: 'tandem' | 'tandem-plaintext';
  private readonly admin: AdminClient;

  /**
   * pki: the cluster's, for every client's certificate; null for a cluster that runs insecure.
   * preloaded: licences whose seats were taken before the benchmark (--preload-entries), which
   * the check that every seat came back leaves out.
   */
  constructor(
    private readonly servers: string[],
    private readonly pki: TestPki | null,
    private readonly preloaded: ReadonlySet<string> = new Set(),
  ) {
    this.system = pki === null ? 'tandem-plaintext' : 'tandem';
    this.admin = new AdminClient(resolveSettings({ ...(pki?.admin ?? INSECURE_ACCESS), servers }));
  }

  async activate(licences: LicenceLayout[]): Promise<void> {
    await forEachLimited(licences, ACTIVATIONS_IN_PARALLEL, async ({ licenceId, seats }) => {
      await activateTestLicence(this.admin, { licenceId, product: 'Bench', seats, redundancy: true });
    });
  }

  async workstation(workstationId: string): Promise<BenchWorkstation> {
    const settings: ClientSettingsInput =
      this.pki === null
        ? { servers: this.servers, workstationId, insecure: true }
        : await this.pki.settings(this.servers, 'workstation', workstationId);
    return new TandemWorkstation(await connect(settings));
  }

  async seatsInUse(): Promise<SeatsCheck> {
    if (this.preloaded.size === 0) {
      const [licences, leases] = await Promise.all([this.admin.listLicences(), this.admin.listLeases()]);
      return {
        seatsInUse: licences.reduce((sum, licence) => sum + licence.seatsInUse, 0),
        holders: leases.length,
      };
    }
    // The preloaded licences hold up to 100,000 leases, more than one answer may carry: the
    // benchmark's own licences are listed one by one.
    const licences = (await this.admin.listLicences()).filter(
      (licence) => !this.preloaded.has(licence.licenceId),
    );
    let holders = 0;
    await forEachLimited(licences, ACTIVATIONS_IN_PARALLEL, async ({ licenceId }) => {
      holders += (await this.admin.listLeases(licenceId)).length;
    });
    return { seatsInUse: licences.reduce((sum, licence) => sum + licence.seatsInUse, 0), holders };
  }

  async usageUnits(licenceIds: string[]): Promise<number> {
    let total = 0;
    for (const licenceId of licenceIds) total += (await this.admin.getUsage(licenceId)).totalUsed;
    return total;
  }

  close(): void {
    this.admin.close();
  }
}
