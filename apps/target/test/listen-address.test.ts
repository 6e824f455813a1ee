import { isIPv4 } from 'node:net';
import {
  type AppProcess,
  connectOutcome,
  listeningAddresses,
  nonLoopbackAddresses,
  spawnApp,
} from '@meshapps/test-fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

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

  // 127.0.0.2 is an address of this machine no one has to configure (Linux routes all of
  // 127.0.0.0/8 to the loopback interface): a listener on every interface answers there, one on
  // 127.0.0.1 only does not. The test brings the address it needs instead of hoping the machine
  // has a network one, so a loopback-only machine (a CI container) proves the property too.
  it('from other addresses of this machine: the default answers, loopback-only refuses', async () => {
    const created = '127.0.0.2';
    expect(
      await connectOutcome(created, everywhere.port),
      `${created} does not reach this machine (Linux routes 127.0.0.0/8 to lo; on macOS: sudo ifconfig lo0 alias ${created})`,
    ).toBe('connected');
    for (const address of [created, ...nonLoopbackAddresses()]) {
      // 0.0.0.0 is every IPv4 interface (IPv6 ones are not part of it).
      if (isIPv4(address)) expect(await connectOutcome(address, everywhere.port), address).toBe('connected');
      expect(await connectOutcome(address, loopback.port), address).toBe('ECONNREFUSED');
    }
    expect(await connectOutcome('127.0.0.1', loopback.port)).toBe('connected');
  });
});
