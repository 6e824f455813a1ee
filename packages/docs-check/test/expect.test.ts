import { describe, expect, it } from 'vitest';
import { toDocumentedAddresses, toRealAddresses } from '../src/addresses.ts';
import { stepsOf } from '../src/console-block.ts';
import { matchOutput } from '../src/expect.ts';
import { parseMarkdown } from '../src/markdown.ts';

const ok = (expected: string[], actual: string[]) => matchOutput(expected, actual).ok;

/** Printed lines against one guide line: those that must match it, and those that must not. */
const expectMatches = (line: string, cases: { match: string[]; not: string[] }) => {
  for (const actual of cases.match) expect(ok([line], [actual]), actual).toBe(true);
  for (const actual of cases.not) expect(ok([line], [actual]), actual).toBe(false);
};

describe('documented output against real output', () => {
  it('is literal: one changed character fails, and says which line', () => {
    expect(ok(['{"message":"client <- proxy"}'], ['{"message":"client <- proxy"}'])).toBe(true);
    const m = matchOutput(['{"message":"client <- proxy"}'], ['{"message":"client <- proxy2"}']);
    expect(m.ok).toBe(false);
    expect(m.ok ? '' : m.reason).toContain('line 1 differs');
    // No whitespace folding: padding is compared as written.
    expect(ok(['a  b'], ['a b'])).toBe(false);
    // Extra or missing lines fail.
    expect(ok(['a'], ['a', 'b'])).toBe(false);
    expect(ok(['a', 'b'], ['a'])).toBe(false);
  });

  it('ignores only trailing spaces and trailing blank lines', () => {
    expect(ok(['a', ''], ['a   '])).toBe(true);
    expect(ok(['', 'a'], ['a'])).toBe(false);
  });

  it('matches each placeholder only to what it names', () => {
    expect(ok(['trace <trace-id>  <ms> ms'], ['trace 0af7651916cd43dd8448eb211c80319e  74.4 ms'])).toBe(true);
    expect(ok(['trace <trace-id>'], ['trace 0af7651916cd43dd8448eb211c80319'])).toBe(false);
    expect(ok(['trace <trace-id>'], ['trace 0AF7651916CD43DD8448EB211C80319E'])).toBe(false);
    expect(ok(['<ms> ms'], ['fast ms'])).toBe(false);
    // Numbers absorb the padding before them (right-aligned columns), nothing else.
    expect(ok(['  target2<n>  <n>%'], ['  target2     489   48.9%'])).toBe(true);
    expect(ok(['  target2<n>  <n>%'], ['  target2     489   48.9% extra'])).toBe(false);
    expect(ok(['|<bar>|'], ['|   ████████     |'])).toBe(true);
    expect(ok(['|<bar>|'], ['|   ###     |'])).toBe(false);
  });

  it("lets <bound> stand for an interval's upper bound in ms, or ∞ while it is unknown", () => {
    const line = 'p90<n> ms [<n> ms,<bound>]';
    expectMatches(line, {
      match: ['p90  21.9 ms [ 18.2 ms,  25.0 ms]', 'p90  21.9 ms [ 18.2 ms,        ∞]'],
      not: [
        'p90  21.9 ms [ 18.2 ms,  25.0]',
        'p90  21.9 ms [ 18.2 ms,  ∞ ms]',
        'p90  21.9 ms [ 18.2 ms, Infinity ms]',
      ],
    });
  });

  it("lets <skew> stand for the waterfall's clock-skew mark, or for nothing, and for nothing else", () => {
    const line = 'proxy  GET /  |<bar>| <ms> ms<skew>';
    expectMatches(line, {
      match: [
        'proxy  GET /  | ██ |   1.98 ms',
        'proxy  GET /  | ██ |   1.98 ms  ⟲ clipped',
        'proxy  GET /  | ██ |   6.83 ms  ⟲ −0.82 ms skew',
        'proxy  GET /  | ██ |   6.83 ms  ⟲ +120 ms skew',
      ],
      not: [
        'proxy  GET /  | ██ |   1.98 ms  ✗ 500',
        'proxy  GET /  | ██ |   1.98 ms  ⟲ moved',
        'proxy  GET /  | ██ |   1.98 ms ⟲ clipped',
      ],
    });
  });

  it('lets <a|b> stand for exactly one of the words: target-green is neither target2 nor target3', () => {
    const line = '{"message":"client <- <target2|target3>"}';
    expectMatches(line, {
      match: ['{"message":"client <- target2"}', '{"message":"client <- target3"}'],
      not: ['{"message":"client <- target-green"}', '{"message":"client <- target23"}'],
    });
  });

  it('reads "<-" in a chain as text, not as a placeholder', () => {
    expect(
      ok(['{"message":"client <- proxy <- target1"}'], ['{"message":"client <- proxy <- target1"}']),
    ).toBe(true);
  });

  it('lets a line "…" stand for any number of lines, and only there', () => {
    expect(ok(['start', '…', 'ready'], ['start', 'x', 'y', 'ready'])).toBe(true);
    expect(ok(['start', '…', 'ready'], ['start', 'ready'])).toBe(true);
    expect(ok(['start', '…', 'ready'], ['start', 'x', 'not ready'])).toBe(false);
    expect(ok(['start…'], ['start and more'])).toBe(false);
  });
});

describe('console blocks', () => {
  const doc = parseMarkdown(
    'x.md',
    [
      '# T',
      '```console',
      '$ curl localhost:8080/a',
      '{"a":1}',
      '',
      '$ pnpm split:check -- \\',
      '    --url localhost:8080/b',
      'out',
      '```',
      '<!-- pending: issue 9 -->',
      '```console',
      '$ pnpm canary',
      '```',
      '<!-- cloud -->',
      '```console',
      '$ curl http://$ELB_IP/',
      '```',
      '<!-- quote: infra/routes/proxy.yaml -->',
      '```yaml',
      'name: x',
      '```',
      '<!-- clould -->',
      '```console',
      '$ true',
      '```',
    ].join('\n'),
  );

  it('are told apart by the marker above them', () => {
    expect(doc.fences.map((f) => f.kind)).toEqual(['runnable', 'pending', 'cloud', 'quote', 'runnable']);
    expect(doc.fences[1]?.marker).toEqual({ kind: 'pending', issue: 'issue 9' });
    expect(doc.fences[4]?.marker).toEqual({ kind: 'unknown', text: 'clould' });
  });

  it('split into commands, continuation lines included, with their outputs', () => {
    const steps = stepsOf(doc.fences[0] as never);
    expect(steps.map((s) => [s.command, s.line, s.expected])).toEqual([
      ['curl localhost:8080/a', 3, ['{"a":1}']],
      ['pnpm split:check -- \\\n    --url localhost:8080/b', 6, ['out']],
    ]);
  });
});

describe('the one address rewrite', () => {
  const real = { lb: 41000, participant: 41001, traceViewer: 41002 };
  it('points documented default ports at the stack, and shows real ports as the defaults', () => {
    expect(toRealAddresses('curl localhost:8080/x http://127.0.0.1:16686 localhost:8081/y', real)).toBe(
      'curl localhost:41000/x http://127.0.0.1:41002 localhost:41001/y',
    );
    expect(toDocumentedAddresses('http://127.0.0.1:41000/call in http://localhost:41002', real)).toBe(
      'http://127.0.0.1:8080/call in http://localhost:16686',
    );
  });
  it('leaves other hosts and longer port numbers alone', () => {
    expect(toRealAddresses('curl example.com:8080 localhost:80801', real)).toBe(
      'curl example.com:8080 localhost:80801',
    );
  });
});
