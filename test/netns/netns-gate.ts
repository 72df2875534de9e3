// The suite's one gate: run where namespaces work, skip with the reason elsewhere, fail in CI.
import { netnsRequired, netnsUnavailableReason } from '@tandem/testkit';

let cachedReason: Promise<string | null> | null = null;

export async function requireNetns(context: Mocha.Context): Promise<void> {
  cachedReason ??= netnsUnavailableReason();
  const reason = await cachedReason;
  if (reason === null) return;
  if (netnsRequired()) throw new Error(`CI must run the network-namespace suite, but ${reason}`);
  console.log(`      skipped: ${reason}`);
  context.skip();
}
