import { HopError } from '@meshapps/service';
import { asPathSegment, HOSTILE_MESH_HOSTS, HOSTILE_RUN_APP_HOSTS } from '@meshapps/test-fixtures';
import { describe, expect, it } from 'vitest';
import { type AllowList, checkHost, parseHops } from '../src/index.ts';

const MESH: AllowList = { suffixes: ['.meshapps.internal'] };
const RUN_APP: AllowList = { suffixes: ['.run.app'] };

describe('checkHost', () => {
  it.each([
    'target1.meshapps.internal',
    'proxy.meshapps.internal',
    'target-green.meshapps.internal',
    'a.b.meshapps.internal',
    '1.meshapps.internal',
    `${'a'.repeat(63)}.meshapps.internal`,
  ])('accepts the mesh host %s', (host) => {
    expect(checkHost(host, MESH)).toEqual({ ok: true, host });
  });

  it('answers the lower-cased host', () => {
    expect(checkHost('Target1.MESHAPPS.internal', MESH)).toEqual({
      ok: true,
      host: 'target1.meshapps.internal',
    });
  });

  it('accepts run.app hosts on the run.app list only', () => {
    expect(checkHost('svc-abc123-uc.a.run.app', RUN_APP)).toEqual({
      ok: true,
      host: 'svc-abc123-uc.a.run.app',
    });
    expect(checkHost('svc-abc123-uc.a.run.app', MESH).ok).toBe(false);
    expect(checkHost('target1.meshapps.internal', RUN_APP).ok).toBe(false);
  });

  it('has enough hostile cases to mean something', () => {
    expect(HOSTILE_MESH_HOSTS.length).toBeGreaterThanOrEqual(30);
    expect(new Set(HOSTILE_MESH_HOSTS).size).toBe(HOSTILE_MESH_HOSTS.length);
  });

  it.each(HOSTILE_MESH_HOSTS)('refuses the mesh host %j, raw and as sent on the wire', (host) => {
    expect(checkHost(host, MESH).ok).toBe(false);
    expect(checkHost(asPathSegment(host), MESH).ok).toBe(false);
  });

  it.each(HOSTILE_RUN_APP_HOSTS)('refuses the run.app host %j', (host) => {
    expect(checkHost(host, RUN_APP).ok).toBe(false);
    expect(checkHost(asPathSegment(host), RUN_APP).ok).toBe(false);
  });

  it('says why', () => {
    const reason = (host: string) => {
      const check = checkHost(host, MESH);
      return check.ok ? 'accepted' : check.reason;
    };
    expect(reason('')).toBe('empty hostname');
    expect(reason('2130706433')).toMatch(/IP literals/);
    expect(reason('127.0.0.1')).toMatch(/IP literals/);
    expect(reason('0x7f000001')).toMatch(/IP literals/);
    expect(reason('target1.meshapps.internal:8080')).toMatch(/no port/);
    expect(reason('localhost')).toMatch(/never a call target/);
    expect(reason('target1..meshapps.internal')).toMatch(/empty label/);
    expect(reason('a'.repeat(254))).toMatch(/longer than 253/);
    expect(reason('evil.com')).toMatch(/not in the allow-list \(\*\.meshapps\.internal\)/);
  });

  it('matches exact hosts exactly, and suffixes only with a leading dot', () => {
    const exact: AllowList = { hosts: ['api.example.com'] };
    expect(checkHost('api.example.com', exact).ok).toBe(true);
    expect(checkHost('x.api.example.com', exact).ok).toBe(false);
    expect(checkHost('evilrun.app', { suffixes: ['run.app'] }).ok).toBe(false);
    expect(checkHost('svc.run.app', {}).ok).toBe(false);
  });
});

describe('parseHops', () => {
  const parse = (url: string, hopLimit = 10) => parseHops(url, 'call', MESH, hopLimit, 'client');
  const refusal = (url: string, hopLimit = 10): HopError => {
    try {
      parse(url, hopLimit);
    } catch (err) {
      if (err instanceof HopError) return err;
      throw err;
    }
    throw new Error(`${url} was accepted`);
  };

  it('splits hosts and keeps the query', () => {
    expect(parse('/call/proxy.meshapps.internal/target1.meshapps.internal?x=1')).toEqual({
      hosts: ['proxy.meshapps.internal', 'target1.meshapps.internal'],
      query: '?x=1',
    });
  });

  it('needs at least one host', () => {
    for (const url of ['/call', '/call/', '/call?x=1']) {
      expect(refusal(url)).toMatchObject({ status: 400, chain: ['client'] });
    }
  });

  it('allows exactly the hop limit and refuses one more, naming the limit', () => {
    const hosts = (n: number) => Array.from({ length: n }, (_, i) => `t${i}.meshapps.internal`).join('/');
    expect(parse(`/call/${hosts(10)}`).hosts).toHaveLength(10);
    const err = refusal(`/call/${hosts(11)}`);
    expect(err.status).toBe(400);
    expect(err.message).toBe('too many hops: 11 hosts, the hop limit is 10');
    expect(refusal(`/call/${hosts(3)}`, 2).message).toMatch(/hop limit is 2/);
  });

  it('checks every host, not only the first, and names the one refused', () => {
    const err = refusal('/call/proxy.meshapps.internal/169.254.169.254');
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/^host 2 refused: IP literals/);
    expect(refusal('/call/proxy.meshapps.internal/').message).toMatch(/^host 2 refused: empty hostname/);
  });
});
