import { isIPv4 } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AppProcess,
  connectOutcome,
  listeningAddresses,
  nonLoopbackAddresses,
  spawnApp,
} from '../../../packages/call/test/helpers/index.ts';

/**
 * LISTEN_ADDRESS, an app setting: unset, an app listens on every interface as Cloud Run's
 * container contract wants; the local mesh sets 127.0.0.1 so a shared network reaches nothing.
 * The default case is the planted mistake that shows the check can fail.
 */
let everywhere: AppProcess;
let loopback: AppProcess;
beforeAll(async () => {
  [everywhere, loopback] = await Promise.all([
    spawnApp('apps/target/src/main.ts', { K_SERVICE: 'target1' }),
    spawnApp('apps/target/src/main.ts', { K_SERVICE: 'target1', LISTEN_ADDRESS: '127.0.0.1' }),
  ]);
});
afterAll(async () => {
  await everywhere?.stop();
  await loopback?.stop();
});

describe('LISTEN_ADDRESS', () => {
  it('unset: the kernel shows the app on all interfaces (0.0.0.0 or ::)', () => {
    expect(listeningAddresses(everywhere.port).some((a) => a === '0.0.0.0' || a === '::')).toBe(true);
  });

  it('127.0.0.1: the kernel shows the app on loopback only', () => {
    expect(listeningAddresses(loopback.port)).toEqual(['127.0.0.1']);
  });

  it("from this machine's other addresses: the default answers, loopback-only refuses", async () => {
    for (const address of nonLoopbackAddresses()) {
      // 0.0.0.0 is every IPv4 interface (IPv6 ones are not part of it).
      if (isIPv4(address)) expect(await connectOutcome(address, everywhere.port), address).toBe('connected');
      expect(await connectOutcome(address, loopback.port), address).toBe('ECONNREFUSED');
    }
    expect(await connectOutcome('127.0.0.1', loopback.port)).toBe('connected');
  });
});
