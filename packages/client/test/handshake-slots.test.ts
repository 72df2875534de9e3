import { expect } from 'chai';
import { HandshakeSlots, type ReleaseSlot } from '../src/handshake-slots.js';

describe('HandshakeSlots', () => {
  it('grants at most perAddress slots per address and the rest in the order asked', async () => {
    const slots = new HandshakeSlots(2);
    const granted: number[] = [];
    const releases: ReleaseSlot[] = [];
    const asks = [0, 1, 2, 3].map((index) =>
      slots.acquire('a:1').then((release) => {
        granted.push(index);
        releases[index] = release;
      }),
    );
    await Promise.resolve();
    await Promise.resolve();
    expect(granted).to.deep.equal([0, 1]);
    expect(slots.inUse('a:1')).to.equal(2);
    expect(slots.waitingFor('a:1')).to.equal(2);
    releases[1]?.();
    releases[1]?.(); // a second call gives nothing back twice
    await Promise.resolve();
    expect(granted).to.deep.equal([0, 1, 2]);
    expect(slots.inUse('a:1')).to.equal(2);
    releases[0]?.();
    await Promise.all(asks);
    expect(granted).to.deep.equal([0, 1, 2, 3]);
    releases[2]?.();
    releases[3]?.();
    expect(slots.inUse('a:1')).to.equal(0);
    expect(slots.waitingFor('a:1')).to.equal(0);
  });

  it('keeps addresses apart', async () => {
    const slots = new HandshakeSlots(1);
    const first = await slots.acquire('a:1');
    const other = await slots.acquire('b:1');
    let waited = false;
    const second = slots.acquire('a:1').then((release) => {
      waited = true;
      return release;
    });
    await Promise.resolve();
    expect(waited).to.equal(false);
    other();
    await Promise.resolve();
    expect(waited).to.equal(false);
    first();
    (await second)();
    expect(waited).to.equal(true);
  });

  it('refuses a limit that is not a positive integer', () => {
    expect(() => new HandshakeSlots(0)).to.throw(TypeError, /positive integer/);
  });
});
