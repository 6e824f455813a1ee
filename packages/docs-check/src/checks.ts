import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from '@meshapps/mesh-config';
import { cloudCommandProblems } from './cloud-commands.ts';
import { BlockSyntaxError, stepsOf } from './console-block.ts';
import { chapterFiles, docFiles, LANGUAGES, type Language, loadDoc, tutorialFile } from './docs.ts';
import { type MarkdownDoc, parseMarkdown } from './markdown.ts';
import { parityProblems } from './parity.ts';
import { participantProblems, repoName } from './participant.ts';
import { pictureProblems } from './pictures.ts';
import { staleQuotes } from './quotes.ts';
import { repository } from './repository.ts';
import { coreMinutes, expectedTutorial, stepTimes, TEXT, tutorialSteps } from './tutorial.ts';

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

/** Relative links (Markdown links, not text in code) to files and headings that do not exist. */
export function linkProblems(doc: MarkdownDoc, root = REPO_ROOT): string[] {
  const problems: string[] = [];
  for (const { url: target, line } of doc.links) {
    if (/^[a-z]+:/.test(target)) continue;
    const [path, anchor] = target.split('#') as [string, string | undefined];
    const file = path ? join(dirname(join(root, doc.file)), path) : join(root, doc.file);
    if (!existsSync(file)) {
      problems.push(`${doc.file}:${line}: link to ${target}: no such file`);
      continue;
    }
    if (anchor && file.endsWith('.md')) {
      const headings = parseMarkdown(file, readFileSync(file, 'utf8')).headings.map((h) => slug(h.text));
      if (!headings.includes(anchor))
        problems.push(`${doc.file}:${line}: link to ${target}: no such heading`);
    }
  }
  return problems;
}

/** The "Open in Cloud Shell" buttons: this repository, and a tutorial that exists, per language. */
export function buttonProblems(root = REPO_ROOT): string[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const repo = repository(root).url;
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
    const { file, text } = expectedTutorial(lang, root);
    const path = join(root, file);
    const onDisk = existsSync(path) ? readFileSync(path, 'utf8') : '';
    const chapters = chapterFiles(lang, root).map((f) => loadDoc(f, root));
    return [
      ...(onDisk === text ? [] : [`${file} is not what the chapters generate (pnpm docs:build)`]),
      ...tutorialShapeProblems(lang, file, text, chapters),
    ];
  });
}

/** A step of Google's hands-ons fits a screen: at most this many lines. */
export const LONGEST_STEP = 40;
/** The core path — the five demos, locally and on Google Cloud — fits the hour. */
export const CORE_MINUTES = 60;

/**
 * The tutorial in the form of Google's Japanese hands-ons: short steps with distinct titles, the
 * core path within the hour with every optional step's time said, the clean-up last (after the
 * congratulation), Google's Japanese documentation linked in Japanese.
 */
export function tutorialShapeProblems(
  lang: Language,
  file: string,
  text: string,
  chapters: MarkdownDoc[],
): string[] {
  const problems: string[] = [];
  const steps = tutorialSteps(text);
  for (const step of steps)
    if (step.lines > LONGEST_STEP)
      problems.push(
        `${file}:${step.start}: step "${step.title}" is ${step.lines} lines; at most ${LONGEST_STEP} (split it)`,
      );
  const seen = new Map<string, number>();
  for (const step of steps) {
    const before = seen.get(step.title);
    if (before)
      problems.push(
        `${file}:${step.start}: step "${step.title}" has the title of the step at line ${before}`,
      );
    seen.set(step.title, step.start);
  }
  const times = stepTimes(lang, chapters);
  const core = coreMinutes(times);
  if (core > CORE_MINUTES)
    problems.push(
      `${file}: the core path takes ${core} minutes (the chapters' durations); at most ${CORE_MINUTES}`,
    );
  for (const doc of chapters) {
    const title = times.find((t) => t.file === doc.file);
    if (title && title.minutes === undefined)
      problems.push(
        `${doc.file}: the chapter title has no <walkthrough-tutorial-duration> (its core minutes)`,
      );
  }
  for (const t of times.filter((x) => x.optional && x.minutes === undefined))
    problems.push(`${t.file}: optional step "${t.title}" says no time (<walkthrough-tutorial-duration>)`);
  const lastChapter = chapters.at(-1);
  const lastSection = lastChapter?.headings.filter((h) => h.level === 2).at(-1)?.text;
  const end = TEXT[lang].end[0]?.slice(3);
  if (steps.at(-1)?.title !== lastSection || steps.at(-2)?.title !== end)
    problems.push(`${file}: the last two steps must be "${end}" and the clean-up ("${lastSection}")`);
  if (lang === 'ja')
    text.split('\n').forEach((line, i) => {
      for (const m of line.matchAll(/https:\/\/cloud\.google\.com\/[^)\s>"]*/g))
        if (!/[?&]hl=ja\b/.test(m[0]))
          problems.push(`${file}:${i + 1}: ${m[0]}: link Google's documentation in Japanese (?hl=ja)`);
    });
  return problems;
}

/** Optional steps are the same steps in both languages. */
function optionalParityProblems(en: MarkdownDoc[], ja: MarkdownDoc[]): string[] {
  const [a, b] = [stepTimes('en', en), stepTimes('ja', ja)];
  const problems: string[] = [];
  a.forEach((s, i) => {
    const t = b[i];
    if (t && (s.optional !== t.optional || s.minutes !== t.minutes))
      problems.push(`${s.file} "${s.title}" and ${t.file} "${t.title}": optional and minutes must agree`);
  });
  return problems;
}

/** Cloud Shell editor tags name files of the clone that exist, and lines they have. */
function editorTagProblems(doc: MarkdownDoc, root = REPO_ROOT): string[] {
  const problems: string[] = [];
  const prefix = `cloudshell_open/${repoName(root)}/`;
  doc.lines.forEach((line, i) => {
    for (const m of line.matchAll(
      /<walkthrough-editor-(?:open-file|select-line)\s+filePath="([^"]+)"(?:[^>]*startLine="(\d+)")?/g,
    )) {
      const path = m[1] as string;
      const where = `${doc.file}:${i + 1}`;
      if (!path.startsWith(prefix)) {
        problems.push(`${where}: filePath ${path} is not in the clone (${prefix}…)`);
        continue;
      }
      const file = join(root, path.slice(prefix.length));
      if (!existsSync(file)) problems.push(`${where}: filePath ${path}: no such file`);
      else if (m[2] && Number(m[2]) >= readFileSync(file, 'utf8').split('\n').length)
        problems.push(`${where}: startLine ${m[2]} is past the end of ${path}`);
    }
  });
  return problems;
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
    {
      name: 'as a participant pastes it in Cloud Shell (tabs, reconnect, placeholders, prompts)',
      problems: [...participantProblems(en, root), ...participantProblems(ja, root)],
    },
    {
      name: 'Cloud Shell tutorials (generated, steps, time, clean-up last)',
      problems: [...tutorialProblems(root), ...optionalParityProblems(en, ja)],
    },
    { name: 'guide pictures, in both languages', problems: pictureProblems(root) },
    { name: 'Cloud Shell editor tags', problems: docs.flatMap((d) => editorTagProblems(d, root)) },
    { name: 'Open in Cloud Shell buttons', problems: buttonProblems(root) },
    { name: 'cloud commands', problems: await cloudCommandProblems(docs, root) },
  ];
}
