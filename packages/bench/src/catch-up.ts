// Catch-up and memory: main's data directory is filled in-process with many acknowledged entries
// (some of them live leases), then main and an empty backup start; the backup must get everything
// (snapshot plus log tail) until both nodes hold the same ledger. Then each node's RSS is read, at
// once and again RSS_AGAIN_AFTER_MS later, both nodes left idle in between.
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildBulkLog, waitForEqualState } from '@tandem/testkit';
import { residentMegabytes } from './rss.js';
import { type TandemClusterOptions, withTandemPair } from './tandem-cluster.js';

const BUILD_SNAPSHOT_EVERY_ENTRIES = 100_000;
/** Main first reads its million-entry log: on a loaded machine that took more than the usual 20 s. */
export const BULK_LOG_START_TIMEOUT_MS = 180_000;
/**
 * The second RSS reading, this long after the first, with both nodes left idle: what a node keeps
 * once the catch-up's burst is over, rather than at its peak.
 */
const RSS_AGAIN_AFTER_MS = 15_000;

export interface CatchUpResult {
  entries: number;
  liveLeases: number;
  appliedIndex: number;
  buildMs: number;
  catchUpMs: number;
  stateHashesEqual: boolean;
}

export interface MemoryResult {
  liveLeases: number;
  logEntries: number;
  /** Read as soon as both nodes hold the same ledger. */
  mainRssMb: number;
  backupRssMb: number;
  /** Read again RSS_AGAIN_AFTER_MS later, nothing asked of either node in between. */
  againAfterMs: number;
  mainRssAgainMb: number;
  backupRssAgainMb: number;
}

export async function runCatchUpAndMemory(options: {
  entries: number;
  liveLeases: number;
  /** How the pair runs (--insecure, --node-logs, --cpu-prof, --tandemd), as for every workload. */
  cluster: TandemClusterOptions;
  say: (text: string) => void;
}): Promise<{ catchUp: CatchUpResult; memory: MemoryResult }> {
  const { entries, liveLeases, say } = options;
  let buildMs = 0;
  return withTandemPair(
    'catch-up',
    { ...options.cluster, startTimeoutMs: BULK_LOG_START_TIMEOUT_MS },
    async (pair) => {
      say('  backup catching up ... ');
      const started = performance.now();
      const [main, backup] = await waitForEqualState(pair.access, pair.servers, 600_000);
      const catchUpMs = Math.round(performance.now() - started);
      if (main === undefined || backup === undefined)
        throw new Error('waitForEqualState answered for no node');
      const stateHashesEqual = main.stateHash === backup.stateHash;
      say(`${main.appliedIndex} entries in ${catchUpMs} ms (state hashes equal: ${stateHashesEqual})\n`);
      const mainRssMb = await residentMegabytes(pair.node('main').pid);
      const backupRssMb = await residentMegabytes(pair.node('backup').pid);
      say(`  memory with ${liveLeases} live leases: main ${mainRssMb} MB, backup ${backupRssMb} MB RSS\n`);
      await new Promise((resolve) => setTimeout(resolve, RSS_AGAIN_AFTER_MS));
      const memory: MemoryResult = {
        liveLeases,
        logEntries: main.appliedIndex,
        mainRssMb,
        backupRssMb,
        againAfterMs: RSS_AGAIN_AFTER_MS,
        mainRssAgainMb: await residentMegabytes(pair.node('main').pid),
        backupRssAgainMb: await residentMegabytes(pair.node('backup').pid),
      };
      say(
        `  ${RSS_AGAIN_AFTER_MS / 1000} s later: main ${memory.mainRssAgainMb} MB, backup ${memory.backupRssAgainMb} MB RSS\n`,
      );
      return {
        catchUp: {
          entries,
          liveLeases,
          appliedIndex: main.appliedIndex,
          buildMs,
          catchUpMs,
          stateHashesEqual,
        },
        memory,
      };
    },
    async (directory) => {
      buildMs = await writeBulkLog(path.join(directory, 'main'), entries, liveLeases, say);
    },
  );
}

/**
 * Fills a data directory with `entries` acknowledged entries, `liveLeases` of them leases left live
 * (the testkit's buildBulkLog), printing progress; returns how long it took, in ms.
 */
export async function writeBulkLog(
  dataDir: string,
  entries: number,
  liveLeases: number,
  say: (text: string) => void,
): Promise<number> {
  say(`  writing ${entries} entries (${liveLeases} of them live leases) into main's log `);
  const started = performance.now();
  const dotEvery = Math.max(1, Math.floor(entries / 20));
  let nextDot = dotEvery;
  await buildBulkLog({
    dataDir,
    operations: entries,
    liveLeases,
    // The server's default (every 10,000 entries) serializes the whole ledger a hundred times
    // here, which made building the log take many minutes; the pair itself runs with defaults.
    snapshotEveryEntries: BUILD_SNAPSHOT_EVERY_ENTRIES,
    onProgress: (written) => {
      while (written >= nextDot) {
        say('.');
        nextDot += dotEvery;
      }
    },
  });
  const buildMs = Math.round(performance.now() - started);
  say(` ${buildMs} ms\n`);
  return buildMs;
}
