import { describe, expect, it } from 'vitest';
import { readCloudRunEnv } from '../src/index.ts';

describe('readCloudRunEnv', () => {
  it('reads what Cloud Run sets', () => {
    expect(
      readCloudRunEnv(
        { PORT: '9090', K_SERVICE: 'target2', K_REVISION: 'target2-00003-abc', K_CONFIGURATION: 'target2' },
        'target',
      ),
    ).toEqual({
      port: 9090,
      listenAddress: '0.0.0.0',
      service: 'target2',
      revision: 'target2-00003-abc',
      configuration: 'target2',
    });
  });

  it('falls back to port 8080 and the default name on a laptop', () => {
    expect(readCloudRunEnv({}, 'proxy')).toEqual({
      port: 8080,
      listenAddress: '0.0.0.0',
      service: 'proxy',
      revision: undefined,
      configuration: undefined,
    });
    expect(readCloudRunEnv({ PORT: '', K_SERVICE: '' }, 'proxy')).toMatchObject({
      port: 8080,
      service: 'proxy',
    });
  });

  it('accepts PORT=0 (any free port, for tests)', () => {
    expect(readCloudRunEnv({ PORT: '0' }, 'x').port).toBe(0);
  });

  it.each(['http', '80.5', '-1', '65536', '8080abc'])('refuses PORT=%j', (port) => {
    expect(() => readCloudRunEnv({ PORT: port }, 'x')).toThrow(/PORT must be a port number/);
  });

  it('LISTEN_ADDRESS picks the interface (an app setting; the local mesh sets loopback)', () => {
    expect(readCloudRunEnv({ LISTEN_ADDRESS: '127.0.0.1' }, 'x').listenAddress).toBe('127.0.0.1');
    expect(readCloudRunEnv({ LISTEN_ADDRESS: '::1' }, 'x').listenAddress).toBe('::1');
    expect(readCloudRunEnv({ LISTEN_ADDRESS: '' }, 'x').listenAddress).toBe('0.0.0.0');
  });

  it.each(['localhost', '127.0.0.1:80', 'all'])('refuses LISTEN_ADDRESS=%j', (address) => {
    expect(() => readCloudRunEnv({ LISTEN_ADDRESS: address }, 'x')).toThrow(/LISTEN_ADDRESS must be an IP/);
  });
});
