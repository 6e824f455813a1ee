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

describe('regexes the local mesh cannot run are refused at start, not at the first request', () => {
  it('an RE2-only named group in a header match', () => {
    const errors = unsupportedFields([withMatch({ headers: [{ header: 'x-v', regexMatch: '(?P<v>a+)' }] })]);
    expect(errors).toEqual([
      expect.objectContaining({ file: 'ab.yaml', path: 'rules[0].matches[0].headers[0].regexMatch' }),
    ]);
    expect(errors[0]?.message).toMatch(/does not compile as JavaScript/);
  });
  it('a path regex JavaScript accepts is fine', () => {
    expect(unsupportedFields([withMatch({ regexMatch: '/call/[a-z0-9.]+' })])).toEqual([]);
  });
});
