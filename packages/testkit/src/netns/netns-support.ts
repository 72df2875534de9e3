// Whether this machine can run the network-namespace lab, and what the suite does when it cannot:
// skip with the reason on a developer's machine, fail in CI, so that CI never skips silently.
import { randomBytes } from 'node:crypto';
import { runCommand } from './shell.js';

/** How the lab delays packets: the netem qdisc when the kernel has it, else an NFQUEUE helper. */
export type DelayBackend = 'netem' | 'nfqueue';

/**
 * Null when namespaces, veth pairs, a bridge and iptables all work here; otherwise one sentence
 * saying what is missing, for `this.skip()` or the failure message.
 */
export async function netnsUnavailableReason(): Promise<string | null> {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'the network-namespace suite must run as root (ip netns, iptables)';
  for (const argv of [
    ['ip', '-V'],
    ['iptables', '--version'],
  ]) {
    try {
      await runCommand(argv);
    } catch (error) {
      return `\`${argv.join(' ')}\` does not run (${(error as Error).message.split('\n')[0]}); install iproute2 and iptables`;
    }
  }
  const probe = `tdm-probe-${randomBytes(3).toString('hex')}`;
  try {
    await runCommand(['ip', 'netns', 'add', probe]);
  } catch (error) {
    return `cannot create a network namespace: ${(error as Error).message}`;
  }
  try {
    await runCommand(['ip', '-n', probe, 'link', 'add', 'br0', 'type', 'bridge']);
    await runCommand([
      'ip',
      'link',
      'add',
      'v0',
      'netns',
      probe,
      'type',
      'veth',
      'peer',
      'name',
      'v1',
      'netns',
      probe,
    ]);
    await runCommand([
      'ip',
      'netns',
      'exec',
      probe,
      'iptables',
      '-w',
      '-A',
      'INPUT',
      '-s',
      '10.0.0.1',
      '-j',
      'DROP',
    ]);
  } catch (error) {
    return `network namespaces work, but not a bridge, veth pairs or iptables inside one: ${(error as Error).message}`;
  } finally {
    await runCommand(['ip', 'netns', 'del', probe]).catch(() => undefined);
  }
  return null;
}

/** CI must run the suite: there a missing capability is a failure, never a skip. */
export function netnsRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.CI === 'true' || env.CI === '1';
}

/** netem when `tc ... netem` works in `namespace`, else nfqueue when a C compiler can build the helper. */
export async function detectDelayBackend(namespace: string): Promise<DelayBackend | null> {
  try {
    await runCommand([
      'ip',
      'netns',
      'exec',
      namespace,
      'tc',
      'qdisc',
      'add',
      'dev',
      'lo',
      'root',
      'netem',
      'delay',
      '1ms',
    ]);
    await runCommand(['ip', 'netns', 'exec', namespace, 'tc', 'qdisc', 'del', 'dev', 'lo', 'root']);
    return 'netem';
  } catch {
    // This kernel has no netem (CONFIG_NET_SCH_NETEM); the NFQUEUE helper does the same job.
  }
  try {
    await runCommand(['cc', '--version']);
    return 'nfqueue';
  } catch {
    return null;
  }
}
