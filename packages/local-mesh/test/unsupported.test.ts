import type { RouteFile } from '@meshapps/mesh-config';
import { describe, expect, it } from 'vitest';
import { unsupportedFields } from '../src/unsupported.ts';

const withMatch = (match: object): RouteFile => ({
  file: 'ab.yaml',
  text: '',
  route: {
    name: 'route-ab',
    hostnames: ['ab.meshapps.internal'],
    rules: [{ matches: [match], action: { destinations: [{ serviceName: 'x' }] } }],
  },
});

describe('route regexes are not for the local mesh to refuse: it matches with RE2, as the cloud does', () => {
  it('RE2-only syntax (a named group, an inline flag) is honoured, not refused', () => {
    expect(unsupportedFields([withMatch({ headers: [{ header: 'x-v', regexMatch: '(?P<v>a+)' }] })])).toEqual(
      [],
    );
    expect(unsupportedFields([withMatch({ regexMatch: '(?i)/call/[a-z0-9.]+' })])).toEqual([]);
  });
});
