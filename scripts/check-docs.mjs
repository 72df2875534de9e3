// Part of `pnpm lint`: fails when a fact the docs quote has drifted from the code.
// - Every default in docs/configuration.md's tandemd table, and in the deploy examples that say they
//   show defaults, equals what tandemd's configuration parser fills in; every numeric setting has a
//   row in that table.
// - The client's defaults and back-off cap, where the client README, docs/configuration.md,
//   docs/client-protocol.md, deploy/client-settings.yaml, the tandemctl README and `tandemctl
//   --help` quote them.
// - What the README says `pnpm test:quick` runs (smoke tests, simulation seeds) is what
//   scripts/test.mjs runs.
// - Every "case N" named anywhere in the repository is a row of the partition matrix's table in
//   test/netns/README.md, and that table lists exactly the cases and modes of partition.test.ts,
//   with the harness's timing.
// The defaults come from the built packages (the parser itself, not a copy of its table), so the
// build is brought up to date first.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import YAML from 'yaml';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const problems = [];
const problem = (file, message) => problems.push(`${file}: ${message}`);
const read = (file) => readFileSync(path.join(root, file), 'utf8');
const same = (left, right) => JSON.stringify(left) === JSON.stringify(right);
const show = (value) => JSON.stringify(value);

const build = spawnSync(
  path.join(root, 'node_modules/.bin/tsc'),
  ['-b', 'packages/server', 'packages/client', 'packages/cli'],
  { cwd: root, stdio: 'inherit' },
);
if (build.status !== 0) {
  console.error('check-docs: the build failed, so the defaults in code cannot be read');
  process.exit(1);
}
const importBuilt = (file) => import(pathToFileURL(path.join(root, file)).href);
const { parseConfig, ConfigError } = await importBuilt('packages/server/dist/src/config.js');
const { DEFAULT_SETTINGS, MAX_RETRY_BACKOFF_MS } = await importBuilt('packages/client/dist/src/settings.js');

// ---------------------------------------------------------------------------------------------
// Markdown helpers

/** The text of a section: from the heading line to the next heading of the same or a higher level. */
function section(text, heading) {
  const lines = text.split('\n');
  const start = lines.findIndex((line) => line.trim() === heading);
  if (start < 0) return null;
  const level = heading.match(/^#+/)[0].length;
  const end = lines.findIndex(
    (line, index) => index > start && /^#+ /.test(line) && line.match(/^#+/)[0].length <= level,
  );
  return lines.slice(start, end < 0 ? undefined : end).join('\n');
}

/** The rows of the first table in `text` whose header starts with `firstHeader`, as arrays of cells. */
function table(text, firstHeader) {
  const lines = text.split('\n');
  const start = lines.findIndex(
    (line, index) =>
      splitRow(line)?.[0] === firstHeader && /^\s*\|[\s:|-]+\|\s*$/.test(lines[index + 1] ?? ''),
  );
  if (start < 0) return null;
  const rows = [];
  for (let index = start + 2; index < lines.length && lines[index].trim().startsWith('|'); index += 1) {
    rows.push(splitRow(lines[index]));
  }
  return rows;
}

function splitRow(line) {
  const trimmed = line.trim();
  if (!trimmed.startsWith('|') || !trimmed.endsWith('|')) return null;
  return trimmed
    .slice(1, -1)
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim());
}

/** The keys a table row documents: every backticked name in its first cell. */
const keysOf = (cell) => [...cell.matchAll(/`([^`]+)`/g)].map((match) => match[1]);

/** A default as the docs write it: a number, or one backticked literal; undefined for prose. */
function literal(cell) {
  if (/^\d+$/.test(cell)) return Number(cell);
  const match = /^`([^`]+)`$/.exec(cell);
  if (match === null) return undefined;
  if (match[1] === '[]') return [];
  if (match[1] === 'true' || match[1] === 'false') return match[1] === 'true';
  return /^\d+$/.test(match[1]) ? Number(match[1]) : match[1];
}

// ---------------------------------------------------------------------------------------------
// tandemd's defaults, from its parser

const scratch = mkdtempSync(path.join(os.tmpdir(), 'tandem-check-docs-'));
let config;
let insecureByDefault;
try {
  const minimal = { node: { id: 'main', listen: '127.0.0.1:7400', dataDir: scratch } };
  config = parseConfig({ ...minimal, insecure: true }, scratch);
  // TLS is the default: without `insecure`, a configuration without tls is refused for its tls.
  try {
    parseConfig(minimal, scratch);
    insecureByDefault = true;
  } catch (error) {
    if (!(error instanceof ConfigError) || !String(error.message).startsWith('tls')) throw error;
    insecureByDefault = false;
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
const NUMERIC_SECTIONS = ['timing', 'limits', 'ledger', 'snapshot', 'reports'];
/** Where each documented key's value is in the parsed configuration. */
const serverDefaults = new Map([
  ['node.role', config.node.role],
  ['node.httpListen', config.node.httpListen],
  ['cluster.mode', config.cluster.mode],
  ['cluster.nodes', config.cluster.nodes],
  ['licensing.vendorKeys', config.licensing.vendorKeys],
  ['auth.tokens', config.security.tokens],
  ['insecure', insecureByDefault],
  ['reflection', config.security.reflection],
  ['log.level', config.log.level],
]);
for (const name of NUMERIC_SECTIONS) {
  for (const [key, value] of Object.entries(config[name])) serverDefaults.set(`${name}.${key}`, value);
}

{
  const file = 'docs/configuration.md';
  const rows = table(read(file), 'key');
  if (rows === null) problem(file, "no configuration table (a table whose first column is 'key')");
  const documented = new Set();
  for (const [keyCell, defaultCell] of rows ?? []) {
    for (const key of keysOf(keyCell)) {
      documented.add(key);
      const quoted = literal(defaultCell);
      if (quoted === undefined || !serverDefaults.has(key)) continue;
      if (!same(quoted, serverDefaults.get(key))) {
        problem(
          file,
          `\`${key}\` is documented with default ${show(quoted)}, tandemd's is ${show(serverDefaults.get(key))}`,
        );
      }
    }
  }
  for (const key of serverDefaults.keys()) {
    if (!documented.has(key))
      problem(file, `\`${key}\` (default ${show(serverDefaults.get(key))}) has no row`);
  }
}

for (const name of ['single', 'main', 'backup', 'witness-mode.main', 'witness-mode.backup', 'witness']) {
  const file = `deploy/tandemd.${name}.yaml`;
  const text = read(file);
  // Only the examples that say so show defaults; those that say "every key" must show them all.
  if (!/with its default/i.test(text)) continue;
  const everyKey = /every key is shown with its default/i.test(text);
  const document = YAML.parse(text);
  const shown = (key) => key.split('.').reduce((value, part) => value?.[part], document);
  for (const [key, value] of serverDefaults) {
    if (
      !NUMERIC_SECTIONS.includes(key.split('.')[0]) &&
      !['insecure', 'reflection', 'log.level'].includes(key)
    )
      continue;
    const example = shown(key);
    if (example === undefined) {
      if (everyKey) problem(file, `says every key is shown with its default, but \`${key}\` is not`);
    } else if (!same(example, value)) {
      problem(file, `shows \`${key}: ${show(example)}\` as the default, tandemd's is ${show(value)}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The client's defaults

/** Every "at most / up to / capped at N ms" in `text` must be the back-off cap. */
function checkCap(file, text, what) {
  const flat = text.replace(/\s+/g, ' ');
  const quoted = [...flat.matchAll(/(?:capped at|at most|up to) (\d+) ms/g)].map((match) => Number(match[1]));
  if (quoted.length === 0)
    problem(file, `${what} does not quote the back-off cap (${MAX_RETRY_BACKOFF_MS} ms)`);
  for (const value of quoted) {
    if (value !== MAX_RETRY_BACKOFF_MS) {
      problem(
        file,
        `${what} quotes a back-off cap of ${value} ms, the client's is ${MAX_RETRY_BACKOFF_MS} ms`,
      );
    }
  }
}

function checkSettingsTable(file, text, what) {
  const rows = text === null ? null : table(text, 'key');
  if (rows === null) {
    problem(file, `no ${what} table`);
    return;
  }
  const documented = new Set();
  for (const [keyCell, defaultCell] of rows) {
    for (const key of keysOf(keyCell)) {
      documented.add(key);
      if (!(key in DEFAULT_SETTINGS)) continue;
      if (literal(defaultCell) !== DEFAULT_SETTINGS[key]) {
        problem(
          file,
          `${what}: \`${key}\` is documented with default ${defaultCell}, the client's is ${DEFAULT_SETTINGS[key]}`,
        );
      }
    }
  }
  for (const key of Object.keys(DEFAULT_SETTINGS)) {
    if (!documented.has(key))
      problem(file, `${what}: \`${key}\` (default ${DEFAULT_SETTINGS[key]}) has no row`);
  }
  checkCap(file, text, what);
}

checkSettingsTable(
  'packages/client/README.md',
  section(read('packages/client/README.md'), '## Settings'),
  'the settings table',
);
checkSettingsTable(
  'docs/configuration.md',
  section(read('docs/configuration.md'), '## Workstation settings'),
  'the workstation settings',
);

{
  const file = 'deploy/client-settings.yaml';
  const text = read(file);
  const document = YAML.parse(text);
  for (const [key, value] of Object.entries(DEFAULT_SETTINGS)) {
    if (document[key] === undefined) problem(file, `\`${key}\` (default ${value}) is not shown`);
    else if (document[key] !== value)
      problem(file, `shows \`${key}: ${document[key]}\`, the client's default is ${value}`);
  }
  for (const match of text.matchAll(/the default (\d+)/g)) {
    if (Number(match[1]) !== DEFAULT_SETTINGS.maxAttempts) {
      problem(
        file,
        `says "the default ${match[1]}" attempts, the client's is ${DEFAULT_SETTINGS.maxAttempts}`,
      );
    }
  }
  checkCap(file, text, 'the comments');
}

{
  // The client protocol quotes the TypeScript client's defaults as "`key` (N ms)" or "`key` (N)".
  const file = 'docs/client-protocol.md';
  const text = read(file);
  const quoted = new Set();
  for (const match of text.replace(/\s+/g, ' ').matchAll(/`(\w+)` \((\d+)(?: ms)?\)/g)) {
    const [, key, value] = match;
    if (!(key in DEFAULT_SETTINGS)) continue;
    quoted.add(key);
    if (Number(value) !== DEFAULT_SETTINGS[key]) {
      problem(file, `quotes \`${key}\` as ${value}, the client's default is ${DEFAULT_SETTINGS[key]}`);
    }
  }
  for (const key of [
    'requestTimeoutMs',
    'maxAttempts',
    'retryBackoffMs',
    'mainRetryIntervalMs',
    'renewalGraceMs',
  ]) {
    if (!quoted.has(key)) problem(file, `does not quote \`${key}\` (default ${DEFAULT_SETTINGS[key]})`);
  }
  checkCap(file, text, 'the client protocol');
}

/** Each phrase must be in `text` (whitespace-insensitive). */
function expectPhrases(file, text, phrases, why) {
  const flat = text.replace(/\s+/g, ' ');
  for (const phrase of phrases) {
    if (!flat.includes(phrase)) problem(file, `should say "${phrase}" (${why})`);
  }
}

{
  const file = 'packages/cli/README.md';
  const text = read(file);
  expectPhrases(
    file,
    text,
    [
      `${DEFAULT_SETTINGS.requestTimeoutMs} ms per attempt`,
      `${DEFAULT_SETTINGS.maxAttempts} attempts`,
      `pausing ${DEFAULT_SETTINGS.retryBackoffMs} ms`,
    ],
    "the client's defaults",
  );
  checkCap(file, text, 'the global options');
}

{
  const file = 'tandemctl --help (packages/cli/src/run.ts)';
  const help = spawnSync(process.execPath, [path.join(root, 'packages/cli/dist/src/main.js'), '--help'], {
    encoding: 'utf8',
  });
  if (help.status !== 0) problem(file, `exited ${help.status}: ${help.stderr}`);
  expectPhrases(
    file,
    help.stdout,
    [
      `else ${DEFAULT_SETTINGS.requestTimeoutMs})`,
      `else ${DEFAULT_SETTINGS.maxAttempts})`,
      `(${DEFAULT_SETTINGS.retryBackoffMs} ms by default)`,
    ],
    "the client's defaults",
  );
  checkCap(file, help.stdout, 'the --attempts help');
}

// ---------------------------------------------------------------------------------------------
// What the README says `pnpm test:quick` runs

{
  const runner = read('scripts/test.mjs');
  const smoke = [...(/QUICK_SMOKE_TESTS = \[([^\]]*)\]/.exec(runner)?.[1] ?? '').matchAll(/'([^']+)'/g)].map(
    (match) => match[1],
  );
  const seeds = /QUICK_SIMULATION_SEEDS = (\d+)/.exec(runner)?.[1];
  if (smoke.length === 0 || seeds === undefined) {
    problem('scripts/test.mjs', 'QUICK_SMOKE_TESTS or QUICK_SIMULATION_SEEDS not found');
  }
  const readme = read('README.md');
  expectPhrases(
    'README.md',
    readme,
    [`${seeds} partition seeds per mode`, ...smoke.map((file) => `\`${file}\``)],
    'what scripts/test.mjs runs with --quick',
  );
  for (const match of readme.matchAll(/`(test\/[\w-]+\.test\.ts)`/g)) {
    if (
      !smoke.includes(match[1]) &&
      /smoke/.test(readme.slice(Math.max(0, match.index - 400), match.index))
    ) {
      problem('README.md', `names ${match[1]} as a smoke test of pnpm test:quick, which does not run it`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The partition matrix: "case N" references, the table, and the test

const MATRIX_README = 'test/netns/README.md';
const matrixText = read(MATRIX_README);
const matrixRows = table(matrixText, '#') ?? [];
if (matrixRows.length === 0) problem(MATRIX_README, "no table of cases (a table whose first column is '#')");
const caseIds = new Set(matrixRows.map((row) => row[0]));

{
  const source = read('test/netns/partition.test.ts');
  const tested = new Map();
  for (const match of source.matchAll(/\bid: '(\w+)',[\s\S]*?\bmodes: \[([^\]]*)\]/g)) {
    tested.set(match[1], [...match[2].matchAll(/'(\w+)'/g)].map((mode) => mode[1]).sort());
  }
  if (tested.size === 0) problem('test/netns/partition.test.ts', 'no cases found (id and modes)');
  for (const row of matrixRows) {
    const [id, , , modes] = row;
    const expected = tested.get(id);
    if (expected === undefined) {
      // The one row that is no case of its own: what every case does (duplicates).
      if (modes !== 'every case') problem(MATRIX_README, `case ${id} is not in partition.test.ts`);
      continue;
    }
    const listed = modes
      .split(',')
      .map((mode) => mode.trim())
      .sort();
    if (!same(listed, expected)) {
      problem(MATRIX_README, `case ${id} runs in ${expected.join(', ')}, the table says ${modes}`);
    }
  }
  for (const id of tested.keys()) {
    if (!caseIds.has(id)) problem(MATRIX_README, `case ${id} of partition.test.ts has no row`);
  }
  const harness = read('test/netns/matrix-harness.ts');
  const number = (pattern) => Number((pattern.exec(harness)?.[1] ?? 'NaN').replaceAll('_', ''));
  const failoverMs = number(/FAILOVER_TIMEOUT_MS = ([\d_]+)/);
  const heartbeatMs = number(/heartbeatIntervalMs: ([\d_]+)/);
  const graceMs = number(/STARTUP_GRACE_MS = ([\d_]+)/);
  expectPhrases(
    MATRIX_README,
    matrixText,
    [
      `failover timeout ${failoverMs} ms`,
      `heartbeat ${heartbeatMs} ms`,
      `start-up grace (pair mode) ${graceMs / 1000} s`,
    ],
    "the harness's timing, matrix-harness.ts",
  );
}

/** `case 12` is a row of its own, or names the rows 12a, 12b...; `case 12c` names one row. */
const isCase = (id) =>
  caseIds.has(id) ||
  (/^\d+$/.test(id) &&
    [...caseIds].some((row) => row.startsWith(id) && /^[a-z]$/.test(row.slice(id.length))));

{
  const listed = spawnSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    encoding: 'utf8',
  });
  if (listed.status !== 0) problem('git ls-files', listed.stderr);
  const files = listed.stdout
    .split('\n')
    .filter((file) => /\.(md|ts|mjs|js|cjs|ya?ml|txt|json|c)$/.test(file) || file === '.ci/run')
    .filter((file) => file !== 'pnpm-lock.yaml' && !file.startsWith('packages/wire/src/generated/'));
  for (const file of files) {
    let text;
    try {
      text = read(file);
    } catch {
      continue; // listed but deleted in the work tree
    }
    text.split('\n').forEach((line, index) => {
      if (/^\s*case\s+\d+\s*:/.test(line)) return; // a switch statement's case
      for (const match of line.matchAll(/\bcases?\s+(\d+[a-d]?(?:\s*(?:\/|,|and|or|–)\s*\d+[a-d]?)*)/gi)) {
        for (const id of match[1].match(/\d+[a-d]?/g)) {
          if (!isCase(id)) {
            problem(
              `${file}:${index + 1}`,
              `"${match[0]}": case ${id} is not in the partition matrix (${MATRIX_README})`,
            );
          }
        }
      }
    });
  }
}

if (problems.length > 0) {
  console.error(`check-docs: ${problems.length} problem(s) where the docs and the code disagree:`);
  for (const line of problems) console.error(`  ${line}`);
  process.exit(1);
}
console.log('check-docs: the quoted defaults and the partition matrix references agree with the code');
