// Channel credentials that pace a channel's connection attempts and say how far each one got.
// grpc-js reports one state, CONNECTING, from the first SYN to the end of the TLS and HTTP/2
// handshakes, and gives an attempt no deadline. Its secure connector is asked, per attempt, first
// whether it is ready (before the TCP connect), then to secure the connected socket; a wrapper
// around the connector can therefore (1) hold the attempt back until the process has a handshake
// slot for the address (handshake-slots.ts) and (2) tell the attempt's stages apart: waiting for a
// slot, connecting TCP, handshaking. The hook is grpc-js's own (`_createSecureConnector`, declared
// in its ChannelCredentials type); if a later grpc-js stopped calling it, attempts would not be
// paced and every slow one would count as a stalled TCP connect, as before this wrapper.
import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import type { HandshakeSlots, ReleaseSlot } from './handshake-slots.js';

type CreateSecureConnector = grpc.ChannelCredentials['_createSecureConnector'];
type SecureConnector = ReturnType<CreateSecureConnector>;

/**
 * How far the channel's latest attempt got: none yet; waiting for a handshake slot; connecting TCP
 * (it has a slot); handshaking (its TCP connection is up: TLS, then HTTP/2).
 */
export type AttemptPhase = 'none' | 'waiting' | 'connecting' | 'handshaking';

export interface AttemptStage {
  phase: AttemptPhase;
  /** When it entered the phase (performance.now()). */
  sinceMs: number;
}

export interface AttemptWatchingOptions {
  /** The server address: slots are per address. */
  address: string;
  slots: HandshakeSlots;
  /**
   * An attempt whose TCP connect has not succeeded this long after it started gives its slot back
   * (it failed, or it waits on SYN retransmissions; the channel is replaced then anyway).
   */
  tcpSlotMs: number;
}

export class AttemptWatchingCredentials extends grpc.ChannelCredentials {
  readonly stage: AttemptStage = { phase: 'none', sinceMs: performance.now() };
  /** The slot the attempt in progress holds, if any. */
  #release: ReleaseSlot | null = null;
  #tcpSlotTimer: NodeJS.Timeout | null = null;
  #abandoned = false;

  /** inner: the credentials the channel would have had. */
  constructor(
    private readonly inner: grpc.ChannelCredentials,
    private readonly options: AttemptWatchingOptions,
  ) {
    super();
  }

  _isSecure(): boolean {
    return this.inner._isSecure();
  }

  /** Each wrapper serves one channel: equal only to itself, so no subchannel is shared. */
  _equals(other: grpc.ChannelCredentials): boolean {
    return other === this;
  }

  _createSecureConnector(...args: Parameters<CreateSecureConnector>): SecureConnector {
    const connector = this.inner._createSecureConnector(...args);
    return {
      waitForReady: async () => {
        // grpc-js calls this first in each attempt, synchronously as the attempt begins.
        this.#enter('waiting');
        await connector.waitForReady();
        await this.#startAttempt();
      },
      connect: async (socket) => {
        this.#clearTcpSlotTimer();
        this.#enter('handshaking');
        try {
          return await connector.connect(socket);
        } finally {
          this.#releaseSlot();
        }
      },
      getCallCredentials: () => connector.getCallCredentials(),
      destroy: () => {
        this.#releaseSlot();
        connector.destroy();
      },
    };
  }

  /** The channel was closed or replaced: its attempts hold no slot from now on. */
  abandon(): void {
    this.#abandoned = true;
    this.#releaseSlot();
  }

  async #startAttempt(): Promise<void> {
    // An attempt whose TCP connect failed never reached connect(): its slot goes back now.
    this.#releaseSlot();
    if (this.#abandoned) return;
    const release = await this.options.slots.acquire(this.options.address);
    if (this.#abandoned) {
      release();
      return;
    }
    this.#release = release;
    this.#enter('connecting');
    this.#tcpSlotTimer = setTimeout(() => this.#releaseSlot(), this.options.tcpSlotMs);
    this.#tcpSlotTimer.unref();
  }

  #enter(phase: AttemptPhase): void {
    this.stage.phase = phase;
    this.stage.sinceMs = performance.now();
  }

  #clearTcpSlotTimer(): void {
    if (this.#tcpSlotTimer !== null) clearTimeout(this.#tcpSlotTimer);
    this.#tcpSlotTimer = null;
  }

  #releaseSlot(): void {
    this.#clearTcpSlotTimer();
    const release = this.#release;
    this.#release = null;
    release?.();
  }
}
