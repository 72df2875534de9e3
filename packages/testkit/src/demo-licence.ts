// The licence the demo and `pnpm cluster` activate: 3 seats, 500 pages a day, redundant (served
// by the backup too).
import { AdminClient, resolveSettings } from '@tandem/client';
import type { ClusterAccess, TestPki } from './test-pki.js';

export const DEMO_LICENCE_ID = 'cad-suite';

export async function activateDemoLicence(
  servers: string[],
  access: ClusterAccess,
  _pki: TestPki,
): Promise<void> {
  const admin = new AdminClient(resolveSettings({ ...access, servers, maxAttempts: 30 }));
  try {
    await admin.activateLicence({
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
