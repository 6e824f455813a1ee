import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from '@meshapps/mesh-config';
import { cloudCommandProblems } from './cloud-commands.ts';
import { BlockSyntaxError, stepsOf } from './console-block.ts';
import { chapterFiles, docFiles, LANGUAGES, loadDoc, tutorialFile } from './docs.ts';
import { type MarkdownDoc, parseMarkdown } from './markdown.ts';
import { parityProblems } from './parity.ts';
import { pictureProblems } from './pictures.ts';
import { staleQuotes } from './quotes.ts';
import { expectedTutorial } from './tutorial.ts';

export interface Section {
  name: string;
  problems: string[];
}

/** Markers that are typos, console blocks that cannot be read, pending markers without an issue. */
export function blockProblems(doc: MarkdownDoc): string[] {
  const problems: string[] = [];
  for (const fence of doc.fences) {
    if (fence.marker?.kind === 'unknown')
      problems.push(`${doc.file}:${fence.line}: unknown marker <!-- ${fence.marker.text} --> above a block`);
    if (fence.info === 'console') {
      try {
        const steps = stepsOf(fence);
        if (steps.length === 0)
          problems.push(`${doc.file}:${fence.line}: console block without a "$ " command`);
      } catch (err) {
        if (err instanceof BlockSyntaxError) problems.push(err.message);
        else throw err;
      }
    }
  }
  return problems;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as dashes. */
export function slug(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/ /g, '-');
}

/** Relative links (outside code blocks) to files and headings that do not exist. */
export function linkProblems(doc: MarkdownDoc, root = REPO_ROOT): string[] {
  const problems: string[] = [];
  const inFence = new Set<number>();
  for (const f of doc.fences) for (let i = f.line - 1; i <= f.bodyEnd + 1; i++) inFence.add(i);
  doc.lines.forEach((line, i) => {
    if (inFence.has(i)) return;
    for (const m of line.replace(/`[^`]*`/g, '').matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1] as string;
      if (/^[a-z]+:/.test(target)) continue;
      const [path, anchor] = target.split('#') as [string, string | undefined];
      const file = path ? join(dirname(join(root, doc.file)), path) : join(root, doc.file);
      if (!existsSync(file)) {
        problems.push(`${doc.file}:${i + 1}: link to ${target}: no such file`);
        continue;
      }
      if (anchor && file.endsWith('.md')) {
        const headings = parseMarkdown(file, readFileSync(file, 'utf8')).headings.map((h) => slug(h.text));
        if (!headings.includes(anchor))
          problems.push(`${doc.file}:${i + 1}: link to ${target}: no such heading`);
      }
    }
  });
  return problems;
}

/** The "Open in Cloud Shell" buttons: this repository, and a tutorial that exists, per language. */
export function buttonProblems(root = REPO_ROOT): string[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const repo = String(pkg.repository?.url ?? '')
    .replace(/^git\+/, '')
    .replace(/\.git$/, '');
  const problems: string[] = [];
  if (!repo) problems.push('package.json: no repository.url for the Open in Cloud Shell buttons');
  const links = [
    ...readme.matchAll(/\((https:\/\/shell\.cloud\.google\.com\/cloudshell\/editor\?[^)\s]+)\)/g),
  ].map((m) => new URL(m[1] as string));
  for (const lang of LANGUAGES) {
    const link = links.find((u) => u.searchParams.get('cloudshell_tutorial') === tutorialFile(lang));
    if (!link) problems.push(`README.md: no Open in Cloud Shell button for ${tutorialFile(lang)}`);
    else if (link.searchParams.get('cloudshell_git_repo') !== repo)
      problems.push(
        `README.md: the ${lang} button clones ${link.searchParams.get('cloudshell_git_repo')}, not ${repo}`,
      );
    if (!existsSync(join(root, tutorialFile(lang)))) problems.push(`${tutorialFile(lang)} does not exist`);
  }
  return problems;
}

export function tutorialProblems(root = REPO_ROOT): string[] {
  return LANGUAGES.flatMap((lang) => {
    const { file, text } = expectedTutorial(lang);
    const path = join(root, file);
    const onDisk = existsSync(path) ? readFileSync(path, 'utf8') : '';
    return onDisk === text ? [] : [`${file} is not what the chapters generate (pnpm docs:build)`];
  });
}

/** Everything checked without a running stack. */
export async function offlineChecks(root = REPO_ROOT): Promise<Section[]> {
  const docs = docFiles(root).map((f) => loadDoc(f, root));
  const [en, ja] = LANGUAGES.map((l) => chapterFiles(l, root).map((f) => loadDoc(f, root))) as [
    MarkdownDoc[],
    MarkdownDoc[],
  ];
  return [
    { name: 'blocks and markers', problems: docs.flatMap(blockProblems) },
    { name: 'code quotes', problems: docs.flatMap((d) => staleQuotes(d, root)) },
    { name: 'relative links', problems: docs.flatMap((d) => linkProblems(d, root)) },
    { name: 'English and Japanese in step', problems: parityProblems(en, ja) },
    { name: 'guide pictures, in both languages', problems: pictureProblems(root) },
    { name: 'Cloud Shell tutorials', problems: tutorialProblems(root) },
    { name: 'Open in Cloud Shell buttons', problems: buttonProblems(root) },
    { name: 'cloud commands', problems: await cloudCommandProblems(docs, root) },
  ];
}
