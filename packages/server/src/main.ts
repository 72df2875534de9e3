#!/usr/bin/env node
// tandemd --config FILE: the Tandem licence server.
import { parseArgs } from 'node:util';
import { quietIpServerNameWarning } from '@tandem/pki';
import { ConfigError, loadConfig } from './config.js';
import { CrashPoints, parseCrashPoint } from './crash-points.js';
import { createLogger } from './logger.js';
import { Tandemd } from './tandemd.js';
import { WitnessServer } from './witness-server.js';

const USAGE = 'usage: tandemd --config FILE';

quietIpServerNameWarning();

async function main(): Promise<number> {
  let configFile: string | undefined;
  try {
    const { values } = parseArgs({
      options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean' } },
    });
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    configFile = values.config;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (configFile === undefined) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(configFile);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`tandemd: invalid configuration: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const logger = createLogger(config.log.level, config.node.id);
  // Test-only: TANDEM_CRASH_POINT arms a failpoint at which this process kills itself (SIGKILL) in
  // the middle of a write (see crash-points.ts). Production never sets it.
  let crashPoints: CrashPoints | undefined;
  const crashPointText = process.env.TANDEM_CRASH_POINT;
  if (crashPointText !== undefined && crashPointText !== '' && config.node.role !== 'witness') {
    try {
      crashPoints = new CrashPoints(parseCrashPoint(crashPointText), () => {
        logger.warn('crash point reached: killing this process', { crashPoint: crashPointText });
        process.kill(process.pid, 'SIGKILL');
      });
    } catch (error) {
      process.stderr.write(`tandemd: TANDEM_CRASH_POINT: ${(error as Error).message}\n`);
      return 2;
    }
    logger.warn('crash point armed', { crashPoint: crashPointText });
  }
  // A witness runs a tiny server of its own: no ledger, no log (see witness-server.ts).
  let tandemd: WitnessServer | Tandemd;
  try {
    tandemd =
      config.node.role === 'witness'
        ? await WitnessServer.start(config, logger)
        : await Tandemd.start(config, logger, crashPoints === undefined ? {} : { crashPoints });
  } catch (error) {
    // Certificate files are read at start: one that does not fit is a configuration error too.
    if (error instanceof ConfigError) {
      process.stderr.write(`tandemd: invalid configuration: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  if (tandemd instanceof WitnessServer) {
    tandemd.onFatal = () => {
      void tandemd.stop().finally(() => process.exit(1));
    };
  }
  // SIGHUP: certificates and keys (and tokens) read again without a restart; see docs/security.md.
  const path = configFile;
  process.on('SIGHUP', () => {
    let fresh: ReturnType<typeof loadConfig> | null = null;
    try {
      fresh = loadConfig(path);
    } catch (error) {
      logger.error('reload: the configuration does not validate; tokens stay as they were', {
        error: (error as Error).message,
      });
    }
    tandemd.reload(fresh);
  });
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      logger.info('shutting down', { signal });
      resolve();
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
  // A planned stop hands leadership over first, so that clients see no failover gap.
  if (tandemd instanceof Tandemd) await tandemd.prepareStop();
  await tandemd.stop();
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    process.stderr.write(`tandemd: ${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
