// The seeded simulation's public surface (see README.md in this directory).
export type { CheckerOptions, CheckName, FinalLedger, MergeStatistics, Violation } from './checker.js';
export { SimulationChecker } from './checker.js';
export type { Completion, OperationRecord } from './history.js';
export { History } from './history.js';
export type {
  ClientCommand,
  ClientErrorCode,
  ClientReply,
  ClientRequest,
  NetworkPayload,
} from './messages.js';
export type { Delivery, EndpointId, LinkFaults, NetworkOptions, NetworkStatistics } from './network.js';
export { CLEAN_LINK, SimulatedNetwork } from './network.js';
export { SimulationRandom } from './random.js';
export type {
  CrashPoint,
  NodeEnvironment,
  NodeStatistics,
  PlantedBug,
  SimulatedNodeOptions,
} from './sim-node.js';
export { PLANTED_BUGS, SimulatedNode, SimulationHalt } from './sim-node.js';
export type { SimulatedWitnessOptions, WitnessEnvironment, WitnessStatistics } from './sim-witness.js';
export { SimulatedWitness } from './sim-witness.js';
export type {
  ClusterMode,
  FaultOptions,
  PartitionKind,
  SimulationOptions,
  SimulationResult,
} from './simulation.js';
export {
  CLUSTER_MODES,
  DEFAULT_CLUSTER_MODE,
  DEFAULT_STEPS,
  PARTITION_KINDS,
  replayCommand,
  runSimulation,
  SimulationFailedError,
} from './simulation.js';
export { TimedQueue } from './timed-queue.js';
export type { WorkstationOptions, WorkstationStatistics } from './workstation.js';
export { SimulatedWorkstation } from './workstation.js';
