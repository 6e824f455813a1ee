import { describe, expect, it } from 'vitest';
import { parseMarkdown } from '../src/markdown.ts';
import { flagValue, shellWords, simpleCommands, variablesRead, variablesSet } from '../src/shell-words.ts';

describe('Markdown, as CommonMark reads it (mdast-util-from-markdown)', () => {
  const doc = parseMarkdown(
    'x.md',
    [
      '# Title',
      '',
      'Setext heading',
      '--------------',
      '',
      '1. A step in a list:',
      '',
      '   <!-- cloud; tab: 2 -->',
      '   ```console',
      '   $ curl -s http://$ELB_IP/',
      '   ```',
      '',
      '```text',
      '# not a heading inside a block',
      '```',
      '',
      'See [the guide](docs/x.md#a) and `[not](a-link.md)`.',
    ].join('\n'),
  );

  it('finds headings, but not a # line inside a code block', () => {
    expect(doc.headings).toEqual([
      { level: 1, text: 'Title', line: 1, endLine: 1 },
      { level: 2, text: 'Setext heading', line: 3, endLine: 4 },
    ]);
  });

  it('reads a fence inside a list item with its markers, body and place', () => {
    const [fence, text] = doc.fences;
    expect(fence).toMatchObject({
      line: 9,
      info: 'console',
      body: ['$ curl -s http://$ELB_IP/'],
      markers: [{ kind: 'cloud' }, { kind: 'tab', tab: 2 }],
      kind: 'cloud',
      indent: '   ',
      bodyStart: 9,
      bodyEnd: 9,
      section: 'Setext heading',
    });
    expect(text?.body).toEqual(['# not a heading inside a block']);
  });

  it('finds links, not link-like text in code', () => {
    expect(doc.links).toEqual([{ url: 'docs/x.md#a', line: 17 }]);
  });

  it('finds pictures with their alt text, and counts them among the links', () => {
    const pictured = parseMarkdown(
      'x.md',
      'A graph:\n\n![The *live* graph](../images/g.png)\n\n`![not](a.png)`\n',
    );
    expect(pictured.images).toEqual([{ url: '../images/g.png', alt: 'The live graph', line: 3 }]);
    expect(pictured.links).toEqual([{ url: '../images/g.png', line: 3 }]);
  });
});

describe('shell command lines (shell-quote)', () => {
  it('keeps $(…) as one word and joins continuation lines', () => {
    expect(
      simpleCommands(
        'gcloud builds submit --config=cloudbuild.yaml \\\n  --substitutions=_TAG=$(git rev-parse HEAD) && echo "done"',
      ),
    ).toEqual([
      [
        'gcloud',
        'builds',
        'submit',
        '--config=cloudbuild.yaml',
        '--substitutions=_TAG=$(git rev-parse HEAD)',
      ],
      ['echo', 'done'],
    ]);
    expect(shellWords("pnpm start -- --env 'target-green:FAIL_PERCENT=20'")).toEqual([
      'pnpm',
      'start',
      '--',
      '--env',
      'target-green:FAIL_PERCENT=20',
    ]);
    expect(flagValue(shellWords("x --included-files='infra/routes/**'"), 'included-files')).toBe(
      'infra/routes/**',
    );
  });

  it('drops redirections and comments', () => {
    expect(simpleCommands('pnpm --silent routes:render > .meshapps/routes.tsv # render')).toEqual([
      ['pnpm', '--silent', 'routes:render'],
    ]);
  });

  it('names the variables a line reads, inside "$(…)" too, but not in single quotes', () => {
    const read = variablesRead(
      `curl -H "Authorization: Bearer $(gcloud auth print-identity-token --audiences=$AUD)" "$URL/x" '$NOT' \${B:-x} $? $1`,
    );
    expect(new Set(read)).toEqual(new Set(['AUD', 'URL', 'B']));
  });

  it('names the variables a line sets for what follows', () => {
    expect(
      variablesSet(
        'export A=$(x) && B=2; for i in 1 2; do echo; done; read -r -p "GitHub user: " GH; C=1 cmd',
      ),
    ).toEqual(['A', 'B', 'i', 'GH']);
  });
});
