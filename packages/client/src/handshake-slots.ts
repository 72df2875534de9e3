// A limit on the connection attempts to one server address that one process has in progress at
// once (from the TCP connect to the end of the TLS handshake). Handshakes cost CPU on both sides,
// and two cores share their time fairly among all of them: 512 channels opened at once by one
// process (256 workstations, one channel per server each) all finished their handshakes together,
// 6.5-24 s later, so that no attempt finished within any timeout meant for one handshake. With a
// few at a time, each finishes in a few of its own handshake times and the rest wait their turn.

/** Attempts in progress at once per server address, per process. */
export const MAX_HANDSHAKES_PER_ADDRESS = 8;
/** Server addresses with attempts in progress or waiting: a limit on the table. */
const MAX_ADDRESSES = 4096;

/** Gives the slot back; calling it again does nothing. */
export type ReleaseSlot = () => void;

class AddressSlots {
  inUse = 0;
  readonly waiting: Array<() => void> = [];
}

export class HandshakeSlots {
  readonly #byAddress = new Map<string, AddressSlots>();

  constructor(readonly perAddress: number = MAX_HANDSHAKES_PER_ADDRESS) {
    if (!Number.isInteger(perAddress) || perAddress < 1) {
      throw new TypeError(`perAddress must be a positive integer, not ${perAddress}`);
    }
  }

  /** Attempts in progress to this address (for tests and diagnostics). */
  inUse(address: string): number {
    return this.#byAddress.get(address)?.inUse ?? 0;
  }

  /** Attempts waiting for a slot to this address. */
  waitingFor(address: string): number {
    return this.#byAddress.get(address)?.waiting.length ?? 0;
  }

  /** Resolves when an attempt to the address may start, with the function that ends it. */
  acquire(address: string): Promise<ReleaseSlot> {
    let slots = this.#byAddress.get(address);
    if (slots === undefined) {
      // Past the limit on addresses, attempts are not held back rather than refused.
      if (this.#byAddress.size >= MAX_ADDRESSES) return Promise.resolve(() => {});
      slots = new AddressSlots();
      this.#byAddress.set(address, slots);
    }
    const owned = slots;
    return new Promise((resolve) => {
      const grant = () => {
        owned.inUse += 1;
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.#release(address, owned);
        });
      };
      if (owned.inUse < this.perAddress) grant();
      else owned.waiting.push(grant);
    });
  }

  #release(address: string, slots: AddressSlots): void {
    slots.inUse -= 1;
    const next = slots.waiting.shift();
    if (next !== undefined) next();
    else if (slots.inUse === 0) this.#byAddress.delete(address);
  }
}

/** The process's slots, shared by every client in it. */
export const handshakeSlots = new HandshakeSlots();
