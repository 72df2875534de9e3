// Summarises V8 .cpuprofile files (what `node --cpu-prof` writes, and the benchmark's `--cpu-prof`
// asks each tandemd to write): self time per function, aggregated by function name and file, and
// per category (grpc-js, TLS/crypto, JSON, LevelDB, ledger, consensus, logging, GC...), so that the
// profile behind docs/performance.md can be read again with one command:
//
//   pnpm cpu-profile [--top N] [--runs runs.json] [--inclusive NAME,...] FILE.cpuprofile...
//
// With --runs (the file the benchmark's --cpu-prof writes beside the profiles), each loop run's
// window is summarised alone: the node's start, the licence activation and the checks after a
// run are left out. V8 stamps samples with the monotonic clock, as process.hrtime does.
//
// Native frames (no file: JSON.parse, a socket write, a hash) count under their own name in the
// function table and, in the category table, under the category of the nearest caller with a file,
// except JSON.parse/JSON.stringify, which count as JSON wherever they are called from.
//
// With --inclusive, the time with a function of each name on the stack is added (a sample counts
// once per name, however often the name is on its stack): what a caller costs with its callees.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** The window of one benchmark loop run, in microseconds of the monotonic clock. */
export interface ProfiledRun {
  system: string;
  workload: string;
  workstations: number;
  startUs: number;
  endUs: number;
}

export const PROFILED_RUNS_FILE = 'runs.json';

/** Microseconds of the monotonic clock, the time base of V8's CPU profiles. */
export function monotonicMicroseconds(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

export interface ProfileRow {
  name: string;
  selfMs: number;
  /** Of the busy time (all samples but idle). */
  percent: number;
}

export interface ProfileSummary {
  file: string;
  wallMs: number;
  idleMs: number;
  busyMs: number;
  functions: ProfileRow[];
  categories: ProfileRow[];
  /** Per name asked for with --inclusive, in that order. */
  inclusive: ProfileRow[];
}

const MAX_TOP = 1000;
const MAX_PROFILE_BYTES = 1024 * 1024 * 1024;

/** Where a file belongs: a workspace package, an npm package, or Node's own library. */
function packageOf(url: string): string {
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const parts = url.slice(modules + 'node_modules/'.length).split('/');
    return parts[0]?.startsWith('@') === true ? `${parts[0]}/${parts[1]}` : (parts[0] ?? url);
  }
  const workspace = /\/packages\/([^/]+)\//.exec(url);
  if (workspace !== null) return `@tandem/${workspace[1]}`;
  if (url.startsWith('node:')) return url;
  return url;
}

/** The category of a frame with a file. */
function categoryOfUrl(url: string): string {
  const owner = packageOf(url);
  if (owner === '@grpc/grpc-js' || owner === '@grpc/proto-loader' || owner === 'protobufjs') return 'grpc-js';
  if (owner.startsWith('node:internal/http2') || owner === 'node:http2') return 'http2 (node)';
  if (/^node:(_tls|tls|internal\/tls|crypto|internal\/crypto)/.test(owner)) return 'TLS/crypto';
  if (/^node:(net|internal\/net|internal\/stream_base|_stream|internal\/streams|stream)/.test(owner))
    return 'sockets/streams (node)';
  if (/level|leveldown/.test(owner)) return 'LevelDB';
  if (['winston', 'logform', 'winston-transport', 'triple-beam', 'colors', '@colors/colors'].includes(owner))
    return 'logging';
  if (owner === 'prom-client' || owner === 'tdigest' || owner === 'bintrees') return 'metrics';
  if (/\/server\/(dist\/)?src\/(log|logger|logging)/.test(url)) return 'logging';
  if (/\/server\/(dist\/)?src\/metrics/.test(url)) return 'metrics';
  if (owner.startsWith('@tandem/')) return owner.slice('@tandem/'.length);
  if (owner.startsWith('node:')) return 'node (other)';
  return owner === '' ? 'native' : owner;
}

function isJsonNative(frame: CallFrame): boolean {
  return frame.url === '' && (frame.functionName === 'parse' || frame.functionName === 'stringify');
}

function functionKey(frame: CallFrame): string {
  const name = frame.functionName === '' ? '(anonymous)' : frame.functionName;
  if (frame.url === '') return name;
  const file = frame.url.startsWith('node:') ? frame.url : path.basename(frame.url);
  return `${name} ${packageOf(frame.url) === file ? file : `${packageOf(frame.url)} ${file}`}:${frame.lineNumber + 1}`;
}

function rows(totals: Map<string, number>, busyMs: number, top: number): ProfileRow[] {
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, microseconds]) => ({
      name,
      selfMs: microseconds / 1000,
      percent: busyMs === 0 ? 0 : (100 * microseconds) / 1000 / busyMs,
    }));
}

export interface ProfileWindow {
  label: string;
  startUs: number;
  endUs: number;
}

export function summariseProfile(
  file: string,
  profile: CpuProfile,
  top: number,
  window: ProfileWindow | null = null,
  inclusiveNames: readonly string[] = [],
): ProfileSummary {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const categoryCache = new Map<number, string>();
  const categoryOf = (id: number): string => {
    const cached = categoryCache.get(id);
    if (cached !== undefined) return cached;
    const node = byId.get(id);
    let category: string;
    if (node === undefined) category = 'unknown';
    else if (node.callFrame.functionName === '(garbage collector)') category = 'GC';
    else if (node.callFrame.functionName === '(program)') category = '(program: V8 and native, no JS frame)';
    else if (node.callFrame.functionName === '(idle)') category = 'idle';
    else if (isJsonNative(node.callFrame)) category = 'JSON';
    else if (node.callFrame.url !== '') category = categoryOfUrl(node.callFrame.url);
    else {
      const up = parent.get(id);
      category = up === undefined ? 'native' : categoryOf(up);
    }
    categoryCache.set(id, category);
    return category;
  };
  const namesCache = new Map<number, ReadonlySet<string>>();
  /** The names asked for that are on the stack of node id (itself included). */
  const namesOnStack = (id: number): ReadonlySet<string> => {
    const cached = namesCache.get(id);
    if (cached !== undefined) return cached;
    const up = parent.get(id);
    const names = new Set(up === undefined ? [] : namesOnStack(up));
    const name = byId.get(id)?.callFrame.functionName;
    if (name !== undefined && inclusiveNames.includes(name)) names.add(name);
    namesCache.set(id, names);
    return names;
  };
  const functions = new Map<string, number>();
  const categories = new Map<string, number>();
  const inclusive = new Map<string, number>(inclusiveNames.map((name) => [name, 0]));
  let idleUs = 0;
  let totalUs = 0;
  let timestampUs = profile.startTime;
  // timeDeltas[i] is the time before sample i; the time a sample stands for is the next delta.
  for (let index = 0; index < profile.samples.length; index += 1) {
    timestampUs += profile.timeDeltas[index] ?? 0;
    if (window !== null && (timestampUs < window.startUs || timestampUs >= window.endUs)) continue;
    const id = profile.samples[index] as number;
    const microseconds = profile.timeDeltas[index + 1] ?? 0;
    totalUs += microseconds;
    const node = byId.get(id);
    if (node === undefined) continue;
    if (node.callFrame.functionName === '(idle)') {
      idleUs += microseconds;
      continue;
    }
    const key = functionKey(node.callFrame);
    functions.set(key, (functions.get(key) ?? 0) + microseconds);
    const category = categoryOf(id);
    categories.set(category, (categories.get(category) ?? 0) + microseconds);
    if (inclusiveNames.length > 0) {
      for (const name of namesOnStack(id)) inclusive.set(name, (inclusive.get(name) ?? 0) + microseconds);
    }
  }
  const busyMs = (totalUs - idleUs) / 1000;
  return {
    file: window === null ? file : `${file} (${window.label})`,
    wallMs: totalUs / 1000,
    idleMs: idleUs / 1000,
    busyMs,
    functions: rows(functions, busyMs, top),
    categories: rows(categories, busyMs, top),
    inclusive: [...inclusive.entries()].map(([name, microseconds]) => ({
      name,
      selfMs: microseconds / 1000,
      percent: busyMs === 0 ? 0 : (100 * microseconds) / 1000 / busyMs,
    })),
  };
}

export async function readProfile(file: string): Promise<CpuProfile> {
  const text = await readFile(file, 'utf8');
  if (text.length > MAX_PROFILE_BYTES) throw new Error(`${file} is larger than ${MAX_PROFILE_BYTES} bytes`);
  const profile = JSON.parse(text) as CpuProfile;
  if (
    !Array.isArray(profile.nodes) ||
    !Array.isArray(profile.samples) ||
    !Array.isArray(profile.timeDeltas)
  ) {
    throw new Error(`${file} is not a V8 CPU profile (nodes, samples, timeDeltas)`);
  }
  return profile;
}

function table(title: string, rows: ProfileRow[], unit = 'self ms'): string {
  const lines = [`| ${title} | ${unit} | % of busy |`, '| --- | ---: | ---: |'];
  rows.forEach((row, index) => {
    lines.push(
      `| ${index + 1}. \`${row.name.replaceAll('|', '\\|')}\` | ${row.selfMs.toFixed(0)} | ${row.percent.toFixed(1)} |`,
    );
  });
  return lines.join('\n');
}

export function formatSummary(summary: ProfileSummary): string {
  return [
    `## ${summary.file}`,
    '',
    `wall ${(summary.wallMs / 1000).toFixed(1)} s, idle ${(summary.idleMs / 1000).toFixed(1)} s, busy ${(summary.busyMs / 1000).toFixed(1)} s`,
    '',
    table('function (self time)', summary.functions),
    '',
    table('category (self time, native callees included)', summary.categories),
    '',
    ...(summary.inclusive.length === 0
      ? []
      : [table('function (on the stack)', summary.inclusive, 'inclusive ms'), '']),
  ].join('\n');
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: {
      top: { type: 'string', default: '10' },
      runs: { type: 'string' },
      inclusive: { type: 'string', default: '' },
    },
  });
  const inclusiveNames = (values.inclusive ?? '').split(',').filter((name) => name !== '');
  const top = Number(values.top);
  if (!Number.isSafeInteger(top) || top < 1 || top > MAX_TOP) {
    throw new Error(`--top: must be an integer from 1 to ${MAX_TOP}, not ${values.top}`);
  }
  if (positionals.length === 0) {
    throw new Error(
      'usage: cpu-profile-summary [--top N] [--runs FILE] [--inclusive NAME,...] FILE.cpuprofile...',
    );
  }
  const windows: Array<ProfileWindow | null> =
    values.runs === undefined
      ? [null]
      : (JSON.parse(await readFile(values.runs, 'utf8')) as ProfiledRun[]).map((run) => ({
          label: `${run.system} ${run.workload} ${run.workstations} ws`,
          startUs: run.startUs,
          endUs: run.endUs,
        }));
  for (const file of positionals) {
    const profile = await readProfile(file);
    for (const window of windows) {
      process.stdout.write(
        `${formatSummary(summariseProfile(file, profile, top, window, inclusiveNames))}\n`,
      );
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
