#!/usr/bin/env node
// tandemd --config FILE: the Tandem licence server.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { Tandemd } from './tandemd.js';
import { WitnessServer } from './witness-server.js';

const USAGE = 'usage: tandemd --config FILE';

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
  // A witness runs a tiny server of its own: no ledger, no log (see witness-server.ts).
  const tandemd =
    config.node.role === 'witness'
      ? await WitnessServer.start(config, logger)
      : await Tandemd.start(config, logger);
  if (tandemd instanceof WitnessServer) {
    tandemd.onFatal = () => {
      void tandemd.stop().finally(() => process.exit(1));
    };
  }
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      logger.info('shutting down', { signal });
      resolve();
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
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
