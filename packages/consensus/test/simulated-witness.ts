// An in-memory driver for a WitnessCore, used by the interaction scripts and the randomized witness
// test: it persists what a step hands out before the answers leave, as the real witness server
// does, and a restart starts again from what was persisted.

import type { Message, NodeId } from '../src/types.js';
import { copyWitnessState, type WitnessConfig, WitnessCore, type WitnessState } from '../src/witness-core.js';

export class SimulatedWitness {
  core: WitnessCore;
  /** What the witness's disk holds. */
  stored: WitnessState | null = null;
  /** The last step's outcome, for the scripts to print. */
  lastPersisted: WitnessState | null = null;
  lastSent: Message[] = [];

  constructor(
    readonly id: NodeId,
    readonly config: WitnessConfig,
  ) {
    this.core = new WitnessCore(config, null);
  }

  /** Steps a message: persist first, then return the answers to send. */
  deliver(message: Message): Message[] {
    const step = this.core.step(message);
    if (step.persist !== null) this.stored = copyWitnessState(step.persist);
    this.lastPersisted = step.persist;
    this.lastSent = step.messages;
    return step.messages;
  }

  /** Loses everything not persisted (only the lease clock) and starts again from storage. */
  restart(): void {
    this.core = new WitnessCore(this.config, this.stored);
  }
}
