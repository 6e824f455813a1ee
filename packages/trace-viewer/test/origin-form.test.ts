import { describe, expect, it } from 'vitest';
import { originForm } from '../src/origin-form.ts';

describe('originForm', () => {
  it('reads a path and query, even one that looks like an authority', () => {
    expect(originForm('/a/b?x=1')?.pathname).toBe('/a/b');
    expect(originForm('/a/b?x=1')?.searchParams.get('x')).toBe('1');
    expect(originForm('//x:99999/')?.pathname).toBe('//x:99999/');
  });

  it.each([undefined, '', '*', 'http://other/path'])('refuses %j', (target) => {
    expect(originForm(target)).toBeUndefined();
  });
});
