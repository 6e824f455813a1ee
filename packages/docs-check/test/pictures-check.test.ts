import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { linkProblems } from '../src/checks.ts';
import { loadDoc } from '../src/docs.ts';
import { parseMarkdown } from '../src/markdown.ts';
import { pictureBaseUrl, pictureProblems, pictureUses } from '../src/pictures.ts';
import { renderTutorial } from '../src/tutorial.ts';

// The guide's pictures: each with its drawing summary, shown in both languages in the same chapter.
const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

function guide(en: string, ja: string, pictures = ['graph.png', 'graph.json']): string {
  const root = mkdtempSync(join(tmpdir(), 'meshapps-pictures-'));
  roots.push(root);
  for (const lang of ['en', 'ja']) mkdirSync(join(root, 'docs/workshop', lang), { recursive: true });
  mkdirSync(join(root, 'docs/workshop/images'));
  writeFileSync(join(root, 'docs/workshop/en/05-trace.md'), en);
  writeFileSync(join(root, 'docs/workshop/ja/05-trace.md'), ja);
  writeFileSync(join(root, 'docs/workshop/en/04-traffic.md'), '# 4\n');
  writeFileSync(join(root, 'docs/workshop/ja/04-traffic.md'), '# 4\n');
  for (const p of pictures) writeFileSync(join(root, 'docs/workshop/images', p), '');
  writeFileSync(
    join(root, 'package.json'),
    JSON.stringify({ repository: { type: 'git', url: 'https://github.com/OWNER/meshapps.git' } }),
  );
  return root;
}

const EN = '# 5\n\n![The live graph after the split](../images/graph.png)\n';
const JA = '# 5\n\n![分割後のサービスグラフ](../images/graph.png)\n';

describe('the guide’s pictures', () => {
  it('pass when each has its summary and is shown in both languages, in the same chapter, with alt text', () => {
    const root = guide(EN, JA);
    expect(pictureProblems(root)).toEqual([]);
    expect(pictureUses('ja', root)).toEqual([
      { file: 'docs/workshop/ja/05-trace.md', line: 3, alt: '分割後のサービスグラフ', picture: 'graph.png' },
    ]);
  });

  it('fail when a picture is shown in one language only, or in another chapter', () => {
    expect(pictureProblems(guide(EN, '# 5\n'))).toEqual([
      'docs/workshop/images/graph.png is not shown in docs/workshop/ja/',
    ]);
    const root = guide(EN, '# 5\n');
    writeFileSync(join(root, 'docs/workshop/ja/04-traffic.md'), `# 4\n\n${JA}`);
    expect(pictureProblems(root)).toEqual([
      'docs/workshop/images/graph.png is in 05-trace.md (en) but 04-traffic.md (ja)',
    ]);
  });

  it('fail without alt text, or when a picture and its summary come apart', () => {
    expect(pictureProblems(guide(EN, '# 5\n\n![](../images/graph.png)\n'))).toEqual([
      'docs/workshop/ja/05-trace.md:3: graph.png has no alt text',
    ]);
    const root = guide(EN, JA);
    unlinkSync(join(root, 'docs/workshop/images/graph.json'));
    writeFileSync(join(root, 'docs/workshop/images/old.json'), '{}');
    expect(pictureProblems(root)).toEqual([
      'docs/workshop/images/old.json: a drawing summary without its picture',
      'docs/workshop/images/graph.png: no drawing summary beside it (pnpm docs:pictures writes both)',
    ]);
  });

  it('are links: a picture whose file is missing is a broken link', () => {
    const root = guide(EN, JA, ['graph.json']);
    expect(linkProblems(loadDoc('docs/workshop/ja/05-trace.md', root), root)).toEqual([
      'docs/workshop/ja/05-trace.md:3: link to ../images/graph.png: no such file',
    ]);
  });

  it('reach the Cloud Shell tutorial by the published repository’s address', () => {
    const root = guide(EN, JA);
    const base = pictureBaseUrl(root);
    expect(base).toBe('https://raw.githubusercontent.com/OWNER/meshapps/HEAD/docs/workshop/images/');
    const chapter = parseMarkdown(
      'docs/workshop/en/05-trace.md',
      `${EN}\nSee [chapter 4](04-traffic.md).\n\nsee \`../images/graph.png\` and \`![x](../images/graph.png)\`\n`,
    );
    const tutorial = renderTutorial('en', [chapter], root);
    // The file itself, not GitHub's page about it (which other relative links become).
    expect(tutorial).toContain(
      '![The live graph after the split](https://raw.githubusercontent.com/OWNER/meshapps/HEAD/docs/workshop/images/graph.png)',
    );
    expect(tutorial).toContain(
      '[chapter 4](https://github.com/OWNER/meshapps/blob/main/docs/workshop/en/04-traffic.md)',
    );
    // Text that only looks like a picture elsewhere stays as it is.
    expect(tutorial).toContain('see `../images/graph.png` and `![x](../images/graph.png)`');
  });
});
