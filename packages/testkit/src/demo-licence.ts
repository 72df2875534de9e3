// The licence the demo and `pnpm cluster` activate: 3 seats, 500 pages a day, redundant (served
// by the backup too), signed by the test vendor for the cluster's id.
import { AdminClient, resolveSettings } from '@tandem/client';
import type { ClusterAccess } from './test-pki.js';
import { activateTestLicence } from './test-vendor.js';

export const DEMO_LICENCE_ID = 'cad-suite';

export async function activateDemoLicence(servers: string[], access: ClusterAccess): Promise<void> {
  const admin = new AdminClient(resolveSettings({ ...access, servers, maxAttempts: 30 }));
  try {
    await activateTestLicence(admin, {
      licenceId: DEMO_LICENCE_ID,
      product: 'CAD Suite',
      seats: 3,
      quota: { units: 500, period: 'day' },
      redundancy: true,
    });
  } finally {
    admin.close();
  }
}
