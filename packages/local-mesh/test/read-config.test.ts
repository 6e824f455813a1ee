import { ConfigInvalidError, formatErrors, ROUTES_DIR, TOPOLOGY_FILE } from '@meshapps/mesh-config';
import { describe, expect, it } from 'vitest';
import { readConfig } from '../src/read-config.ts';

const files = { topologyFile: TOPOLOGY_FILE, routesDir: ROUTES_DIR };
const refusal = (overrides: Record<string, Record<string, string>>): string => {
  try {
    readConfig(files, overrides, () => {});
  } catch (err) {
    if (err instanceof ConfigInvalidError) return formatErrors(err.errors);
    throw err;
  }
  return '';
};

describe('app settings for one run (--env)', () => {
  it('passes a setting the app reads, and says where it came from', () => {
    const lines: string[] = [];
    const config = readConfig(files, { 'target-green': { FAIL_PERCENT: '20' } }, (l) => lines.push(l));
    expect(config.settings.get('target-green')).toEqual({ FAIL_PERCENT: '20' });
    expect(lines).toContain('target-green: FAIL_PERCENT=20 (--env, this run only)');
  });

  it('refuses a setting the app does not read, instead of ignoring it', () => {
    expect(refusal({ proxy: { FAIL_PERCENT: '20' } })).toContain(
      'app "proxy" reads no setting FAIL_PERCENT, so it would do nothing (it reads: none',
    );
    expect(refusal({ target2: { FAIL_PERCNT: '20' } })).toContain(
      'app "target" reads no setting FAIL_PERCNT, so it would do nothing (it reads: FAIL_PERCENT',
    );
  });

  it('refuses LISTEN_ADDRESS: the local mesh keeps the apps on loopback', () => {
    expect(refusal({ target2: { LISTEN_ADDRESS: '0.0.0.0' } })).toContain(
      'LISTEN_ADDRESS is set by the platform',
    );
  });
});
