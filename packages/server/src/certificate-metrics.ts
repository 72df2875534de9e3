// When the node's certificates stop being valid, as a gauge the expiry alert compares with time():
// read at render time, so that a certificate reloaded on SIGHUP shows its new date at once.
import { Gauge, type Registry } from 'prom-client';

/** The not-after times of the certificates in use, in ms since the epoch; null when none (insecure). */
export type CertificateExpiry = () => { client: number | null; peer: number | null };

export class CertificateMetrics {
  private expiry: CertificateExpiry | null = null;
  private readonly notAfter: Gauge<'certificate'>;

  constructor(registry: Registry) {
    this.notAfter = new Gauge({
      name: 'tandem_certificate_not_after_seconds',
      help: 'When the certificate in use expires, in seconds since the epoch: client (the client port) or peer.',
      labelNames: ['certificate'],
      registers: [registry],
    });
  }

  watch(expiry: CertificateExpiry): void {
    this.expiry = expiry;
  }

  refresh(): void {
    if (this.expiry === null) return;
    this.notAfter.reset();
    for (const [certificate, notAfterMs] of Object.entries(this.expiry())) {
      if (notAfterMs !== null) this.notAfter.set({ certificate }, notAfterMs / 1000);
    }
  }
}
