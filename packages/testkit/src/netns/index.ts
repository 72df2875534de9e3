// The network-namespace lab for real partition tests (see netns-lab.ts). The two entry scripts,
// workload-runner.ts and control-agent.ts, run as their own processes inside the lab and are not
// exported.

export * from './history-verdict.js';
export * from './netns-cluster.js';
export * from './netns-control.js';
export * from './netns-lab.js';
export * from './netns-support.js';
export * from './netns-workload.js';
export * from './packet-delayer.js';
export * from './shell.js';
export * from './verified-ledger.js';
export * from './workload-record.js';
