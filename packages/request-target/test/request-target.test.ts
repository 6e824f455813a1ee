import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readRequestTarget } from '../src/index.ts';

describe('readRequestTarget', () => {
  it('takes an origin-form target as sent: path and query split at the first "?"', () => {
    expect(readRequestTarget('/a/b?x=1&y=2?z')).toEqual({ path: '/a/b', query: 'x=1&y=2?z' });
    expect(readRequestTarget('/')).toEqual({ path: '/', query: '' });
    // Not normalised: the path a route matches is the path the app gets.
    expect(readRequestTarget('/a/../admin')).toEqual({ path: '/a/../admin', query: '' });
    // Looks like an authority, is a path (a URL parser would read a host and a bad port).
    expect(readRequestTarget('//x:99999/')).toEqual({ path: '//x:99999/', query: '' });
    expect(readRequestTarget('/%zz')).toEqual({ path: '/%zz', query: '' });
  });

  it('parses an absolute-form target: scheme, host (credentials dropped), path, query', () => {
    expect(readRequestTarget('http://user:pw@Target1.meshapps.internal:80/x/../y?q=1')).toEqual({
      absolute: { scheme: 'http', host: 'target1.meshapps.internal' },
      path: '/y',
      query: 'q=1',
    });
    expect(readRequestTarget('HTTP://h:8080')).toEqual({
      absolute: { scheme: 'http', host: 'h:8080' },
      path: '/',
      query: '',
    });
  });

  it.each([undefined, '', '*', 'host:443', 'http://[bad/', 'http://x:99999/', '/a#frag', '/a?x=1#f', 'x/y'])(
    'refuses %j',
    (raw) => {
      expect(readRequestTarget(raw)).toBeUndefined();
    },
  );

  it('never throws, and an origin-form path and query put back together are the target', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60, unit: 'binary-ascii' }), (s) => {
        const target = readRequestTarget(s);
        if (target && !target.absolute) {
          expect(target.query ? `${target.path}?${target.query}` : target.path).toBe(
            s.endsWith('?') ? s.slice(0, -1) : s,
          );
        }
      }),
      { numRuns: 2000 },
    );
  });
});
