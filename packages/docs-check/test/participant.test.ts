import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chapterFiles, loadDoc } from '../src/docs.ts';
import { Journey } from '../src/journey.ts';
import { type MarkdownDoc, parseMarkdown } from '../src/markdown.ts';
import { participantProblems, repoName, setupLine, setupVariables } from '../src/participant.ts';
import type { BlockResult, Stack } from '../src/run-blocks.ts';
import { makeSandbox } from '../src/sandbox.ts';
import { Session } from '../src/session.ts';

/**
 * The participant's Cloud Shell: each acceptance line of issue 19 planted once in a copy of the
 * guide (the chapters edited in memory), and docs-check must fail it — statically for every
 * block, and by running the local blocks as pasted into fresh tabs.
 */

const SETUP = setupLine();
const english = () => chapterFiles('en').map((f) => loadDoc(f));

/** The guide with one text replaced in one chapter (which must contain it). */
function planted(docs: MarkdownDoc[], chapter: string, from: string, to: string): MarkdownDoc[] {
  return docs.map((d) => {
    if (!d.file.endsWith(chapter)) return d;
    expect(d.text).toContain(from);
    return parseMarkdown(d.file, d.text.replace(from, to));
  });
}

describe('the guide as written', () => {
  it('passes every participant check, in both languages', () => {
    expect(participantProblems(english())).toEqual([]);
    expect(participantProblems(chapterFiles('ja').map((f) => loadDoc(f)))).toEqual([]);
    expect(SETUP).toBe(`source ~/cloudshell_open/${repoName()}/workshop-env.sh`);
    expect(setupVariables()).toEqual(['PROJECT_ID', 'ELB_IP']);
  });
});

describe('planted in a copy of the guide, each fails the static checks', () => {
  const problems = (docs: MarkdownDoc[]) => participantProblems(docs).join('\n');

  it('a new-tab block without the setup line', () => {
    const docs = planted(
      english(),
      '00-setup.md',
      `<!-- tab: 2 -->\n\`\`\`console\n$ ${SETUP}\n$ pnpm start`,
      '<!-- tab: 2 -->\n```console\n$ pnpm start',
    );
    expect(problems(docs)).toMatch(
      /00-setup\.md:\d+: this block starts a new tab \(2\), which opens in \$HOME .*its first line must be `source ~\/cloudshell_open\/meshapps\/workshop-env\.sh`/,
    );
    expect(problems(docs)).toMatch(/`pnpm` in a tab that has Cloud Shell's own Node and no pnpm/);
  });

  it('a placeholder in a copyable command', () => {
    const docs = planted(english(), '06-operations.md', '--repo-owner="${FORK%/*}"', '--repo-owner=OWNER');
    expect(problems(docs)).toMatch(
      /06-operations\.md:\d+: a placeholder in a command to copy: OWNER \(OWNER\)/,
    );
    const port = planted(english(), '04-traffic-control.md', "'^K_SERVICE=target2$'", "'^PORT=PORT$'");
    expect(problems(port)).toMatch(/a placeholder in a command to copy: PORT/);
    const mail = planted(english(), '00-setup.md', '"$(gcloud config get-value account)"', 'you@example.com');
    expect(problems(mail)).toMatch(/a placeholder in a command to copy: you@example\.com/);
  });

  it('an interactive command in a multi-line block', () => {
    const apply = planted(
      english(),
      '00-setup.md',
      'apply -auto-approve -input=false && gcloud builds submit',
      'apply\n$ gcloud builds submit',
    );
    expect(problems(apply)).toMatch(
      /`terraform -chdir=infra\/terraform apply` reads the terminal \(Terraform asks for "yes"\)/,
    );
    const login = planted(
      english(),
      '00-setup.md',
      '$ gcloud config set project YOUR_PROJECT_ID\n',
      '$ gcloud auth application-default login\n$ gcloud config set project YOUR_PROJECT_ID\n',
    );
    expect(problems(login)).toMatch(
      /`gcloud auth application-default login` reads the terminal \(it waits for a sign-in in the browser and a code pasted back\), so pasted with the lines below it/,
    );
  });

  it('a block that only works with Node 24 already on PATH', () => {
    const docs = planted(
      english(),
      '00-setup.md',
      `$ ${SETUP}\n$ pnpm install`,
      '$ cd ~/cloudshell_open/meshapps\n$ pnpm install',
    );
    expect(problems(docs)).toMatch(
      /00-setup\.md:\d+: `pnpm` in a tab that has Cloud Shell's own Node and no pnpm/,
    );
  });

  it('a variable used after the reconnect step without being restored', () => {
    const docs = planted(
      planted(
        english(),
        '00-setup.md',
        `<!-- reconnect -->\n\`\`\`sh\n${SETUP}`,
        '<!-- reconnect -->\n```sh\ncd ~/cloudshell_open/meshapps && . .ci/toolchain.sh',
      ),
      '00-setup.md',
      `$ ${SETUP}\n$ pnpm verify`,
      '$ pnpm verify',
    );
    expect(problems(docs)).toMatch(
      /00-setup\.md:\d+: \$ELB_IP is not set in this tab \(tab 1, opened at docs\/workshop\/en\/00-setup\.md:\d+\)/,
    );
    // A variable a later step uses but only an earlier step set is lost on a reconnect in between.
    const later = planted(
      english(),
      '03-iam.md',
      '$ gcloud run services get-iam-policy target1',
      '$ curl -s "$WO_CLIENT/"\n$ gcloud run services get-iam-policy target1',
    );
    expect(problems(later)).toMatch(
      /03-iam\.md:\d+: \$WO_CLIENT was set in an earlier step \(docs\/workshop\/en\/01-simpler-code\.md:\d+\); after a reconnect before this step it is gone/,
    );
  });
});

describe('planted in a copy of the guide, each fails when its blocks are pasted into fresh tabs', {
  timeout: 60_000,
}, () => {
  let session: Session;
  let journey: Journey;
  /** No block below may need `pnpm start`: asking for a stack fails the test. */
  const noStack = {
    get: async (): Promise<Stack> => {
      throw new Error('no stack expected');
    },
  };
  beforeAll(() => {
    session = new Session({ repoName: repoName() });
    makeSandbox(undefined, session.clone);
    journey = new Journey(session, noStack, session.clone);
  }, 60_000);
  afterAll(() => session?.remove());

  /** The blocks of chapter 0 up to `until` (a text of the block to stop after), run as pasted. */
  async function runChapter0(docs: MarkdownDoc[], until: string): Promise<BlockResult[]> {
    await journey.begin();
    const results: BlockResult[] = [];
    for (const fence of (docs[0] as MarkdownDoc).fences) {
      const r = await journey.run(fence);
      if (r) results.push(r);
      if (fence.body.join('\n').includes(until)) break;
    }
    return results;
  }
  const problems = (rs: BlockResult[]) => rs.flatMap((r) => r.problems).join('\n');

  it('a fresh tab has Cloud Shell’s own, older Node and no pnpm, in $HOME', async () => {
    await journey.begin();
    const paste = await session.paste(1, ['node --version', 'command -v pnpm || echo none', 'pwd']);
    expect(paste.commands.map((c) => c.stdout.trim())).toEqual([
      expect.stringMatching(/^v(1\d|2[0-3])\./),
      'none',
      session.home,
    ]);
    const setUp = await session.paste(1, [SETUP, 'node --version', 'pnpm --version', 'pwd']);
    expect(setUp.commands.map((c) => c.stdout.trim()).slice(1)).toEqual([
      expect.stringMatching(/^v24\./),
      expect.stringMatching(/^\d+\.\d+\.\d+$/),
      session.clone,
    ]);
  });

  it('the guide as written: the set-up blocks pass', async () => {
    expect(problems(await runChapter0([loadDoc(chapterFiles('en')[0] as string)], 'pnpm install'))).toBe('');
  });

  it('a new-tab block without the setup line: pnpm start cannot run there', async () => {
    const docs = planted(
      english(),
      '00-setup.md',
      `<!-- tab: 2 -->\n\`\`\`console\n$ ${SETUP}\n$ pnpm start`,
      '<!-- tab: 2 -->\n```console\n$ pnpm start',
    );
    expect(problems(await runChapter0(docs, 'pnpm start'))).toMatch(
      /00-setup\.md:\d+: \$ pnpm start: it would fail in this tab: pnpm: command not found/,
    );
  });

  it('a block that only works with Node 24 already on PATH', async () => {
    const docs = planted(
      english(),
      '00-setup.md',
      `$ ${SETUP}\n$ pnpm install`,
      '$ cd ~/cloudshell_open/meshapps\n$ pnpm install',
    );
    expect(problems(await runChapter0(docs, 'pnpm install'))).toMatch(
      /\$ pnpm install: exit status 127\n {2}stderr: pnpm: command not found/,
    );
    const node = planted(
      english(),
      '00-setup.md',
      `$ ${SETUP}\n$ pnpm install`,
      '$ cd ~/cloudshell_open/meshapps\n$ node --conditions=source packages/local-mesh/src/routes-check.ts | tail -1\nthe local mesh can honour every field',
    );
    expect(problems(await runChapter0(node, 'routes-check.ts'))).toMatch(
      /\$ node --conditions=source packages\/local-mesh\/src\/routes-check\.ts \| tail -1: output ended[\s\S]*ERR_UNKNOWN_FILE_EXTENSION[\s\S]*Node\.js v(1\d|2[0-3])\./,
    );
  });

  it('an interactive command in a multi-line block swallows the lines pasted after it', async () => {
    const docs = planted(
      english(),
      '00-setup.md',
      `$ ${SETUP}\n$ pnpm install`,
      `$ ${SETUP}\n$ read -r -p "GitHub user: " GITHUB_USER\n$ pnpm install`,
    );
    expect(problems(await runChapter0(docs, 'pnpm install'))).toMatch(
      /\$ read -r -p "GitHub user: " GITHUB_USER: it read the lines pasted after it \(it reads the terminal\), so 1 command\(s\) below it never ran/,
    );
  });

  it('a variable set before a reconnect is gone after it', async () => {
    await journey.begin();
    await session.paste(1, [SETUP, 'X=1']);
    expect((await session.paste(1, ['echo "[$X]"'])).commands[0]?.stdout).toBe('[1]\n');
    session.reconnect();
    expect((await session.paste(1, ['echo "[$X] $PWD"'])).commands[0]?.stdout).toBe(`[] ${session.home}\n`);
  });
});
