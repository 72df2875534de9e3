// The test runner behind `pnpm test` (every suite; what .ci/run runs) and `pnpm test:quick` (a
// subset to run before a commit). It does not lint: `pnpm lint` does, and .ci/run runs both.
//
// 1. The build: the generated gRPC types must be current, then the type check (tsc -b), then the
//    web console's bundle, then tandemd's and tandemctl's (which the test kit runs). If one fails
//    nothing else runs.
// 2. Every package's mocha suite, two at a time on the two cores: the suites that need wall-clock
//    timing (real sockets, timers, processes) run one after another in one lane, so no two of them
//    ever run together; the suites that do not (pure code, storage, the seeded simulation) are
//    taken, longest first, by the other lane, and by the timing lane once its own are done. A
//    suite's output is printed when it ends.
// 3. The cross-process suite in test/ (real tandemd processes), alone.
// 4. The partition matrix in test/netns (network namespaces, as root), alone. Without root it skips;
//    with CI=true it fails instead.
//
// --quick runs 1 and 2 with the simulation at QUICK_SIMULATION_SEEDS partition seeds per mode (its
// coverage checks then show as pending), and instead of 3 and 4 the QUICK_SMOKE_TESTS of test/, as
// the last suite of the timing lane. Arguments other than --quick are filters: only the suites
// whose name contains one of them run (`node scripts/test.mjs ledger netns`).
//
// Every selected suite runs even when another fails. The last line is the one CI reads:
// `tests: N passed, M failed` (passing and failing tests summed over the suites; a suite that
// crashed before mocha could report, did not exit within EXIT_GRACE_MS of its report, or ran past
// its LIMIT_MINUTES counts as one failure).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => path.join(root, 'node_modules/.bin', name);

const flags = process.argv.slice(2).filter((argument) => argument.startsWith('--'));
const only = process.argv.slice(2).filter((argument) => !argument.startsWith('--'));
const unknown = flags.filter((flag) => flag !== '--quick');
if (unknown.length > 0) {
  console.error(`unknown option ${unknown.join(' ')}; usage: node scripts/test.mjs [--quick] [filter...]`);
  process.exit(2);
}
const quick = flags.includes('--quick');

/**
 * Packages whose tests use no sockets, timers or child processes, so they may run beside a
 * timing-sensitive suite, with their rough length in seconds (the longest start first).
 */
const NO_TIMING = new Map([
  ['ledger', 25],
  ['consensus', 15],
  ['storage', 8],
  ['driver', 2],
  ['issuer', 2],
  ['wire', 2],
  ['console', 1],
]);
/** Partition seeds per mode in the quick simulation (the full suite runs 500). */
const QUICK_SIMULATION_SEEDS = 50;
/** The real-process tests of the quick run: fast, and between them single, pair and witness mode. */
const QUICK_SMOKE_TESTS = [
  'test/bad-input.test.ts',
  'test/crash.test.ts',
  'test/security.test.ts',
  'test/split-brain.test.ts',
];
const MOCHA_WITHOUT_CONFIG = ['--no-config', '--node-option', 'import=tsx'];
/**
 * How long a suite may take to exit once mocha has printed its summary. A process that outlives it
 * has something left running (a timer, a socket, a loop): it is killed and counted as a failure, so
 * that a leak shows in the totals instead of hanging the run.
 */
const EXIT_GRACE_MS = 60_000;
/**
 * The longest a suite may run, in minutes, before it is killed and counted as a failure. Mocha's
 * own timeouts cannot fire while a test runs synchronously (a simulation that never settles), and
 * a run must end with its summary line, not hang. Several times a suite's usual length.
 */
const LIMIT_MINUTES = { quick: 5, package: 20, crossProcess: 30, netns: 60 };

/** Every child's process group, so that an interrupted run takes its children with it. */
const running = new Set();
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const pid of running) killGroup(pid);
    process.exit(130);
  });
}

function killGroup(pid) {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function run(command, args, { cwd, env, buffered, limitMs }) {
  return new Promise((resolve) => {
    // Its own process group: mocha runs the tests in a child process of its own, and both must go.
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', buffered ? 'pipe' : 'inherit'],
      detached: true,
    });
    running.add(child.pid);
    let output = '';
    let errors = '';
    let watchdog = null;
    let hung = false;
    let overran = false;
    const limit =
      limitMs === undefined
        ? undefined
        : setTimeout(() => {
            overran = true;
            killGroup(child.pid);
          }, limitMs);
    child.stdout.on('data', (chunk) => {
      output += chunk;
      if (!buffered) process.stdout.write(chunk);
      if (watchdog === null && /^\s*\d+ passing/m.test(output)) {
        watchdog = setTimeout(() => {
          hung = true;
          killGroup(child.pid);
        }, EXIT_GRACE_MS);
      }
    });
    child.stderr?.on('data', (chunk) => {
      errors += chunk;
    });
    child.on('exit', (code, signal) => {
      running.delete(child.pid);
      if (watchdog !== null) clearTimeout(watchdog);
      clearTimeout(limit);
      resolve({ code: code ?? (signal ? 1 : 0), output, errors, hung, overran });
    });
  });
}

function count(output, word) {
  let total = 0;
  // Mocha colours its summary lines when it thinks it writes to a terminal; strip the colours first.
  const plain = output.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '');
  for (const match of plain.matchAll(new RegExp(`^\\s*(\\d+) ${word}\\b`, 'gm'))) total += Number(match[1]);
  return total;
}

const seconds = (startedAtMs) => ((Date.now() - startedAtMs) / 1000).toFixed(0);
const startedAtMs = Date.now();

const build = await run(process.execPath, [path.join(root, 'packages/wire/scripts/check-generated.mjs')], {
  cwd: root,
});
const typeCheck = build.code === 0 ? await run(bin('tsc'), ['-b'], { cwd: root }) : build;
// The web console's bundle (esbuild), which tandemd serves and test/console.test.ts loads.
const bundle =
  typeCheck.code === 0
    ? await run(process.execPath, [path.join(root, 'packages/console/scripts/bundle.mjs')], { cwd: root })
    : typeCheck;
// tandemd and tandemctl as the packages ship them (scripts/build-bundles.mjs): the test kit runs these.
const commandBundles =
  bundle.code === 0
    ? await run(process.execPath, [path.join(root, 'scripts/build-bundles.mjs')], { cwd: root })
    : bundle;
if (commandBundles.code !== 0) {
  console.error('build failed: the type check and the bundles must pass before tests run');
  console.log('tests: 0 passed, 1 failed');
  process.exit(1);
}
console.log(`build: ${seconds(startedAtMs)} s`);

const hasTests = (directory) =>
  existsSync(directory) &&
  readdirSync(directory, { recursive: true }).some((file) => String(file).endsWith('.test.ts'));

/**
 * Every suite: its lane ('no-timing' or 'timing' run side by side; 'alone' after them, one at a
 * time), where mocha runs and with what arguments.
 */
const suites = [];
const packageLimit = quick ? LIMIT_MINUTES.quick : LIMIT_MINUTES.package;
for (const name of readdirSync(path.join(root, 'packages')).sort()) {
  const directory = path.join(root, 'packages', name);
  if (!hasTests(path.join(directory, 'test'))) continue;
  if (name === 'testkit') {
    // The simulation is deterministic and by far the longest suite: it runs beside the timing lane.
    suites.push({
      name: 'packages/testkit (simulation)',
      lane: 'no-timing',
      seconds: quick ? 40 : 120,
      limitMinutes: packageLimit,
      directory,
      args: [...MOCHA_WITHOUT_CONFIG, '--timeout', '60000', 'test/simulation.test.ts'],
      env: quick ? { TANDEM_SIM_SEEDS: String(QUICK_SIMULATION_SEEDS) } : {},
    });
    suites.push({
      name: 'packages/testkit',
      lane: 'timing',
      limitMinutes: packageLimit,
      directory,
      args: ['--ignore', 'test/simulation.test.ts'],
    });
    continue;
  }
  suites.push({
    name: `packages/${name}`,
    lane: NO_TIMING.has(name) ? 'no-timing' : 'timing',
    seconds: NO_TIMING.get(name) ?? 0,
    limitMinutes: packageLimit,
    directory,
    args: [],
  });
}
if (quick) {
  // Last in the timing lane: a few real processes beside at most one deterministic suite. The full
  // cross-process suite below runs alone, so that CI's figures never depend on the other lane.
  suites.push({
    name: 'test (cross-process smoke)',
    lane: 'timing',
    limitMinutes: LIMIT_MINUTES.quick,
    directory: root,
    // --exit: this combination of files sometimes keeps running after every test passed (seen under
    // load only, in the test process itself; not yet explained). The full suite runs them without it.
    args: [...MOCHA_WITHOUT_CONFIG, '--timeout', '120000', '--exit', ...QUICK_SMOKE_TESTS],
  });
} else {
  suites.push({
    name: 'test (cross-process)',
    lane: 'alone',
    limitMinutes: LIMIT_MINUTES.crossProcess,
    directory: root,
    // --exit: since the drain work landed, this process sometimes hangs after its summary, in
    // Node's own teardown (gdb: FreeEnvironment -> CleanupHandles spinning on uv_run with a
    // request still pending and no handle, no socket and no child process left), seen in two CI
    // runs of two and once in four local runs with CI=true. Not yet explained; the real tandemd
    // processes the tests start do exit (the SIGTERM tests check their exit code).
    args: ['--config', '.mocharc.root.json', '--ignore', 'test/netns/**', '--exit'],
  });
  // Its counts are worth seeing apart: it needs root, and in CI it must run rather than skip.
  suites.push({
    name: 'test/netns (network namespaces, as root)',
    lane: 'alone',
    limitMinutes: LIMIT_MINUTES.netns,
    directory: root,
    args: ['--config', '.mocharc.netns.json'],
    testDirectory: path.join(root, 'test/netns'),
  });
}
const selected = suites.filter(
  (suite) =>
    (only.length === 0 || only.some((filter) => suite.name.includes(filter))) &&
    hasTests(suite.testDirectory ?? path.join(suite.directory, 'test')),
);

const results = [];
async function runSuite(suite, buffered) {
  const suiteStartedAtMs = Date.now();
  if (!buffered) console.log(`\n=== ${suite.name} ===`);
  const result = await run(bin('mocha'), suite.args, {
    cwd: suite.directory,
    env: suite.env,
    buffered,
    limitMs: suite.limitMinutes * 60_000,
  });
  const passed = count(result.output, 'passing');
  const failed = count(result.output, 'failing');
  const pending = count(result.output, 'pending');
  // A crash before mocha could report (a syntax error, a hook failure), a process that would not
  // exit after it, or one that ran past its limit, still counts as a failure.
  const crashed = (result.code !== 0 && failed === 0) || result.hung || result.overran;
  const took = seconds(suiteStartedAtMs);
  if (buffered) {
    process.stdout.write(`\n=== ${suite.name} (${took} s) ===\n${result.output}`);
    if (result.errors !== '') process.stdout.write(result.errors);
  }
  if (result.hung) {
    console.log(
      `${suite.name}: did not exit ${EXIT_GRACE_MS / 1000} s after its summary; killed, counted as a failure`,
    );
  } else if (result.overran) {
    console.log(
      `${suite.name}: still running after ${suite.limitMinutes} minutes; killed, counted as a failure`,
    );
  }
  results.push({
    suite,
    passed,
    failed: failed + (crashed ? 1 : 0),
    pending,
    crashed,
    hung: result.hung,
    overran: result.overran,
    took,
  });
}

const timingQueue = selected.filter((suite) => suite.lane === 'timing');
const noTimingQueue = selected
  .filter((suite) => suite.lane === 'no-timing')
  .sort((left, right) => right.seconds - left.seconds);

/** One lane: its own queue first (if any), then whatever no-timing suite is left. */
async function runLane(own) {
  for (let suite = own.shift(); suite !== undefined; suite = own.shift()) await runSuite(suite, true);
  for (let suite = noTimingQueue.shift(); suite !== undefined; suite = noTimingQueue.shift()) {
    await runSuite(suite, true);
  }
}

if (timingQueue.length + noTimingQueue.length > 0) {
  console.log(
    `running the package suites two at a time (${timingQueue.length} timing-sensitive, one at a time)`,
  );
  await Promise.all([runLane(timingQueue), runLane([])]);
}
for (const suite of selected.filter((each) => each.lane === 'alone')) await runSuite(suite, false);

let passed = 0;
let failed = 0;
console.log(`\n=== ${quick ? 'quick run' : 'summary'} ===`);
for (const result of results) {
  passed += result.passed;
  failed += result.failed;
  console.log(
    `${result.suite.name}: ${result.passed} passed, ${result.failed} failed` +
      `${result.pending > 0 ? `, ${result.pending} pending` : ''}${result.hung ? ' (did not exit)' : result.overran ? ' (ran past its limit)' : result.crashed ? ' (crashed)' : ''}, ${result.took} s`,
  );
}
console.log(`${seconds(startedAtMs)} s in all`);
console.log(`\ntests: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
