import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@meshapps/mesh-config';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  blockProblems,
  CORE_MINUTES,
  LONGEST_STEP,
  linkProblems,
  offlineChecks,
  slug,
  tutorialShapeProblems,
} from '../src/checks.ts';
import {
  type CloudFacts,
  cloudFacts,
  commandProblems,
  enableApisProblems,
  routeCdCommands,
} from '../src/cloud-commands.ts';
import { chapterFiles, LANGUAGES, loadDoc, tutorialFile } from '../src/docs.ts';
import { type MarkdownDoc, parseMarkdown } from '../src/markdown.ts';
import { chapterParity, parityProblems } from '../src/parity.ts';
import { staleQuotes, withFreshQuotes } from '../src/quotes.ts';
import { expectedTutorial, renderTutorial, stepTimes, tutorialSteps } from '../src/tutorial.ts';

const chapters = (lang: 'en' | 'ja') => chapterFiles(lang).map((f) => loadDoc(f));
/** A document with its text changed in memory. */
const edited = (doc: MarkdownDoc, from: string, to: string) => {
  expect(doc.text).toContain(from);
  return parseMarkdown(doc.file, doc.text.replace(from, to));
};

describe('the docs checks that need no running stack', () => {
  it('all pass on the repository as it is', async () => {
    const sections = await offlineChecks();
    expect(sections.filter((s) => s.problems.length > 0)).toEqual([]);
  });
});

describe('English and Japanese', () => {
  const [en, ja] = [chapters('en'), chapters('ja')];

  it('have the same chapters, sections and blocks, in the same order', () => {
    expect(en.map((d) => d.file.split('/').pop())).toEqual(ja.map((d) => d.file.split('/').pop()));
    expect(en.length).toBe(7);
    expect(parityProblems(en, ja)).toEqual([]);
    const kinds = (docs: MarkdownDoc[]) => docs.flatMap((d) => d.fences.map((f) => f.kind));
    expect(kinds(en)).toEqual(kinds(ja));
    expect(kinds(en).filter((k) => k === 'runnable').length).toBeGreaterThanOrEqual(15);
  });

  it('fail parity when a Japanese block changes, goes missing, or loses its marker', () => {
    const ja1 = ja[1] as MarkdownDoc;
    const en1 = en[1] as MarkdownDoc;
    expect(
      chapterParity(en1, edited(ja1, '{"message":"client <- proxy"}', '{"message":"client <- proxy2"}')),
    ).toHaveLength(1);
    const withoutBlock = edited(
      ja1,
      '```console\n$ curl localhost:8080/call/169.254.169.254',
      '```text\n$ curl localhost:8080/call/169.254.169.254',
    );
    expect(chapterParity(en1, withoutBlock)[0]).toMatch(/block \d+ differs/);
    expect(chapterParity(en1, edited(ja1, '<!-- cloud -->', ''))).toHaveLength(1);
    expect(parityProblems(en, ja.slice(0, -1))).toContain(
      '06-operations.md: only in docs/workshop/en/00-setup.md',
    );
  });

  it('fail parity when a section is added to one language only', () => {
    const ja3 = ja[3] as MarkdownDoc;
    expect(
      chapterParity(
        en[3] as MarkdownDoc,
        edited(ja3, '## Google Cloud で 403 を確認する', '## 追加\n\n## Google Cloud で 403 を確認する'),
      )[0],
    ).toContain('different sections');
  });
});

describe('code quotes', () => {
  const twoCalls = loadDoc(chapterFiles('en')[2] as string);

  it('are the real source, in both languages', () => {
    expect(staleQuotes(twoCalls)).toEqual([]);
    expect(twoCalls.fences.filter((f) => f.kind === 'quote').length).toBe(4);
    const quotedFile = readFileSync(join(REPO_ROOT, 'packages/call/src/with-mesh.ts'), 'utf8').trimEnd();
    expect(twoCalls.fences[0]?.body.join('\n')).toBe(quotedFile);
  });

  it('are reported when they drift from the source, and rewritten by docs:build', () => {
    const drifted = edited(twoCalls, 'return getJson(`http://${host}${path}`, hop);', 'return fetch(host);');
    expect(staleQuotes(drifted)).toEqual([
      expect.stringMatching(/02-two-calls\.md:\d+: the quote of packages\/call\/src\/with-mesh\.ts differs/),
    ]);
    expect(withFreshQuotes(drifted)).toBe(twoCalls.text);
  });

  it('name a declaration that exists', () => {
    const doc = parseMarkdown(
      'x.md',
      '<!-- quote: packages/call/src/with-mesh.ts#noSuchFunction -->\n```ts\n```\n',
    );
    expect(staleQuotes(doc)[0]).toContain('no top-level declaration "noSuchFunction"');
  });
});

describe('the Cloud Shell tutorials', () => {
  for (const lang of LANGUAGES) {
    it(`${lang}: is generated from the chapters, with Cloud Shell's walkthrough tags`, () => {
      const text = readFileSync(join(REPO_ROOT, tutorialFile(lang)), 'utf8');
      expect(text).toBe(renderTutorial(lang, chapters(lang)));
      for (const tag of [
        '<walkthrough-tutorial-duration duration=',
        '<walkthrough-project-setup billing="true"></walkthrough-project-setup>',
        '<walkthrough-enable-apis apis=',
        '<walkthrough-web-preview-icon></walkthrough-web-preview-icon>',
        '<walkthrough-conclusion-trophy></walkthrough-conclusion-trophy>',
      ])
        expect(text).toContain(tag);
      // One title, and every chapter and section a step.
      const headings = parseMarkdown(tutorialFile(lang), text).headings;
      expect(headings.filter((h) => h.level === 1)).toHaveLength(1);
      expect(headings.filter((h) => h.level === 2).length).toBeGreaterThan(30);
      expect(text).toContain('gcloud config set project {{project-id}}');
      // Commands become copyable bash blocks without the prompt; pending ones are not copyable.
      expect(text).toContain('```bash\ncurl localhost:8080/call/proxy.meshapps.internal\n```');
      expect(text).not.toMatch(/```bash\n\$ /);
      expect(text).not.toContain('<!-- cloud -->');
      expect(text).toMatch(
        /\*\*(Local|ローカル)\*\*.*\n```bash\npnpm start -- --env target-green:FAIL_PERCENT=20\n```/,
      );
      // A pending block (none is left today) is shown under a note, not copyable.
      const pending = edited(
        chapters(lang)[4] as MarkdownDoc,
        '<!-- cloud -->\n```console\n$ pnpm canary',
        '<!-- pending: issue 99 -->\n```console\n$ pnpm canary',
      );
      const rendered = renderTutorial(lang, [pending]);
      expect(rendered).toMatch(
        /```text\n\$ pnpm canary -- --route target --to target-green --steps 1,10,50,100/,
      );
      expect(rendered).toContain('issue 99');
    });
  }

  it("has the form of Google's hands-ons: short steps, distinct titles, the hour, the clean-up last", () => {
    for (const lang of LANGUAGES) {
      const { file, text } = expectedTutorial(lang);
      const steps = tutorialSteps(text);
      expect(Math.max(...steps.map((s) => s.lines))).toBeLessThanOrEqual(LONGEST_STEP);
      expect(new Set(steps.map((s) => s.title)).size).toBe(steps.length);
      const times = stepTimes(lang, chapters(lang));
      const core = times.filter((t) => !t.optional).reduce((n, t) => n + (t.minutes ?? 0), 0);
      expect(core).toBeLessThanOrEqual(CORE_MINUTES);
      expect(text).toContain(`# ${lang === 'en' ? 'meshapps hands-on' : 'meshapps ハンズオン'}`);
      expect(text).toMatch(new RegExp(`^# .*\\n\\n<walkthrough-tutorial-duration duration="${core}">`, 'm'));
      expect(steps.at(-1)?.title).toBe(lang === 'en' ? 'Clean up' : 'クリーンアップ');
      expect(steps.at(-2)?.title).toBe(lang === 'en' ? 'Well done' : 'おつかれさまでした');
      expect(steps.some((s) => /disconnects|途切れてしまったとき/.test(s.title))).toBe(true);
      // Labels, absolute links, long quotes in the editor, gcloud beside the enable-APIs button.
      expect(text).toContain(
        lang === 'en' ? '**Google Cloud** (terminal tab 3)' : '**Google Cloud**（3 つ目のタブ）',
      );
      expect(text).not.toMatch(/\]\((?!https?:|#)[^)]+\)/);
      expect(text).toMatch(
        /<walkthrough-editor-select-line filePath="cloudshell_open\/meshapps\/packages\/call\/src\/id-tokens\.ts"/,
      );
      expect(text).toContain('gcloud services enable artifactregistry.googleapis.com');
      expect(tutorialShapeProblems(lang, file, text, chapters(lang))).toEqual([]);
    }
  });

  it('fails a step too long, a title used twice, a core path over the hour, a clean-up not last', () => {
    const en = chapters('en');
    const { file, text } = expectedTutorial('en');
    const long = text.replace('## Who may call whom\n', `## Who may call whom\n${'\nline'.repeat(40)}\n`);
    expect(tutorialShapeProblems('en', file, long, en).join('\n')).toMatch(
      /step "Who may call whom" is \d+ lines; at most 40/,
    );
    const twice = text.replace('## The 403 on Google Cloud', '## The 403, locally');
    expect(tutorialShapeProblems('en', file, twice, en).join('\n')).toMatch(
      /step "The 403, locally" has the title of the step at line \d+/,
    );
    const slow = en.map((d, i) => (i === 4 ? edited(d, 'duration="12"', 'duration="30"') : d));
    expect(tutorialShapeProblems('en', file, text, slow).join('\n')).toMatch(
      /the core path takes 78 minutes .*at most 60/,
    );
    const undated = en.map((d, i) =>
      i === 3
        ? edited(d, '<walkthrough-tutorial-duration duration="10"></walkthrough-tutorial-duration>', '')
        : d,
    );
    expect(tutorialShapeProblems('en', file, text, undated).join('\n')).toMatch(
      /optional step "Try it: let client call target1 \(optional\)" says no time/,
    );
    const cleanupFirst = renderTutorial('en', [
      ...en.slice(0, -1),
      edited(en.at(-1) as MarkdownDoc, '## Clean up', '## Clean up\n\n## After the clean-up'),
    ]);
    expect(tutorialShapeProblems('en', file, cleanupFirst, en).join('\n')).toMatch(
      /the last two steps must be "Well done" and the clean-up/,
    );
    const ja = expectedTutorial('ja');
    expect(
      tutorialShapeProblems(
        'ja',
        ja.file,
        `${ja.text}\n[Cloud Run](https://cloud.google.com/run/docs)\n`,
        chapters('ja'),
      ).join('\n'),
    ).toMatch(/link Google's documentation in Japanese \(\?hl=ja\)/);
  });

  it('makes links absolute where the parser finds them, not text in inline code', () => {
    const chapter = parseMarkdown(
      'docs/workshop/en/99-links.md',
      [
        '# Links',
        '',
        'Not a link: `[a](b.md)`. Links: [deploy](../../deploy.md "Deploy"),',
        '[routes](<../../../infra/routes>) and [the reference][ref].',
        '',
        '[ref]: ../../deploy.md#subnet-size',
        '',
      ].join('\n'),
    );
    const github = 'https://github.com/OWNER/meshapps';
    expect(renderTutorial('en', [chapter])).toContain(
      [
        `Not a link: \`[a](b.md)\`. Links: [deploy](${github}/blob/main/docs/deploy.md "Deploy"),`,
        `[routes](<${github}/tree/main/infra/routes>) and [the reference][ref].`,
        '',
        `[ref]: ${github}/blob/main/docs/deploy.md#subnet-size`,
      ].join('\n'),
    );
  });

  it('makes a step of each heading the parser finds, a setext one too, and of no # line in a block', () => {
    const chapter = parseMarkdown(
      'docs/workshop/en/99-steps.md',
      '# Steps\n\nSetext step\n-----------\n\n```text\n# not a step\n```\n\n### Not a step\n\n## Last\n',
    );
    const text = renderTutorial('en', [chapter]);
    expect(tutorialSteps(text).map((s) => s.title)).toEqual(['Steps', 'Setext step', 'Well done', 'Last']);
    expect(text).toContain('## Setext step\n\n```text\n# not a step\n```\n\n### Not a step\n');
  });

  it('goes stale when a chapter changes', () => {
    const en = chapters('en');
    const changed = [
      edited(en[0] as MarkdownDoc, 'Ctrl-C in the second tab stops everything.', 'Ctrl-C stops it all.'),
      ...en.slice(1),
    ];
    expect(renderTutorial('en', changed)).not.toBe(readFileSync(join(REPO_ROOT, tutorialFile('en')), 'utf8'));
  });
});

describe('relative links', () => {
  it('point at files and headings that exist, as GitHub names their anchors', () => {
    expect(slug('1. The platform: `terraform apply`')).toBe('1-the-platform-terraform-apply');
    expect(slug('基盤の構築: `terraform apply`')).toBe('基盤の構築-terraform-apply');
    const setup = loadDoc(chapterFiles('ja')[0] as string);
    expect(linkProblems(setup)).toEqual([]);
    expect(
      linkProblems(edited(setup, '(../../deploy.md#not-verified-offline)', '(../../deploy.md#not-verified)')),
    ).toEqual([expect.stringContaining('no such heading')]);
    expect(
      linkProblems(edited(setup, '(../../deploy.md#subnet-size)', '(../../deploi.md#subnet-size)')),
    ).toEqual([expect.stringContaining('no such file')]);
  });
});

describe('markers', () => {
  it('a misspelt marker is reported instead of silently running or skipping the block', () => {
    const doc = parseMarkdown('x.md', '<!-- clod -->\n```console\n$ curl http://$ELB_IP/\n```\n');
    expect(blockProblems(doc)).toEqual(['x.md:2: unknown marker <!-- clod --> above a block']);
    const empty = parseMarkdown('y.md', '```console\nno prompt here\n```\n');
    expect(blockProblems(empty)[0]).toContain('output before the first "$ " command');
  });
});

describe('cloud commands agree with what the repository runs', () => {
  let facts: CloudFacts;
  beforeAll(async () => {
    facts = await cloudFacts();
  });
  const problems = (text: string) => commandProblems({ file: 'x.md', line: 1, text }, facts);

  it('route CD (import-routes.sh) imports exactly what terraform output route_import_commands lists', async () => {
    const terraform = await facts.routeImports('my-project');
    const cd = routeCdCommands('my-project');
    expect(cd.length).toBe(7);
    expect(cd.sort()).toEqual(terraform.filter((c) => c.startsWith('gcloud ')).sort());
    expect(terraform[0]).toBe('pnpm --silent routes:render --project my-project --out .meshapps/routes');
  });

  it('a deploy command that differs from pnpm deploy:commands by one flag fails', async () => {
    const proxy =
      'gcloud beta run deploy proxy --project=my-project --region=asia-northeast1 --image=asia-northeast1-docker.pkg.dev/my-project/meshapps/proxy:v1 --service-account=meshapps-proxy@my-project.iam.gserviceaccount.com --ingress=internal --no-allow-unauthenticated --mesh=projects/my-project/locations/global/meshes/meshapps --network=meshapps-vpc --subnet=meshapps-subnet --vpc-egress=all-traffic --quiet';
    expect(await problems(proxy)).toEqual([]);
    const drifted = await problems(proxy.replace('--ingress=internal', '--ingress=all'));
    expect(drifted[0]).toContain('differs from pnpm deploy:commands');
  });

  it('an import of a route that does not exist, or into the wrong location, fails', async () => {
    const ok =
      'gcloud network-services http-routes import route-ab --source=.meshapps/routes/ab.yaml --location=global --project=p1 --quiet';
    expect(await problems(ok)).toEqual([]);
    expect(await problems(ok.replace('route-ab', 'route-ba'))).toHaveLength(1);
    expect(await problems(ok.replace('--location=global', '--location=asia-northeast1'))).toHaveLength(1);
  });

  it('names only Terraform outputs, scripts, configs, substitutions and files that exist', async () => {
    expect(
      await problems('export ELB_IP=$(terraform -chdir=infra/terraform output -raw load_balancer_ip)'),
    ).toEqual([]);
    expect(await problems('terraform -chdir=infra/terraform output -raw elb_ip')).toEqual([
      'x.md:1: terraform output elb_ip is not defined in infra/terraform',
    ]);
    expect(await problems('pnpm --silent split:check -- -n 5')).toEqual([]);
    expect(await problems('pnpm split:chek')).toHaveLength(1);
    expect(await problems('gcloud builds submit --config=cloudbuild.yaml --substitutions=_REGION=x')).toEqual(
      [],
    );
    expect(
      await problems('gcloud builds submit --config=cloudbuild.yaml --substitutions=_NOPE=x'),
    ).toHaveLength(1);
    expect(await problems('gcloud builds submit --config=cloudbld.yaml')).toHaveLength(1);
    expect(
      await problems(
        "gcloud builds triggers create github --build-config=infra/cloudbuild/routes.yaml --included-files='infra/rutes/**'",
      ),
    ).toHaveLength(1);
    expect(await problems('bash infra/cloudbuild/import-routes.sh a b')).toEqual([]);
    expect(await problems('bash infra/cloudbuild/import.sh a b')).toHaveLength(1);
  });

  it('the enable-APIs button lists what Terraform enables', () => {
    const setup = loadDoc(chapterFiles('en')[0] as string);
    expect(enableApisProblems(setup, facts)).toEqual([]);
    expect(enableApisProblems(edited(setup, 'dns.googleapis.com,', ''), facts)).toHaveLength(1);
  });
});
