import { existsSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { REPO_ROOT } from '@meshapps/mesh-config';
import { chapterFiles, type Language, loadDoc, tutorialFile } from './docs.ts';
import { commentMarkers, type Fence, type MarkdownDoc } from './markdown.ts';
import { copyableGroups, repoName, tabOf } from './participant.ts';
import { pictureAddress, pictureBaseUrl } from './pictures.ts';
import { quotedRange } from './quotes.ts';
import { repository } from './repository.ts';

/**
 * The Cloud Shell tutorial of a language (`cloudshell_tutorial=…`, `teachme …`), generated from
 * its chapters — one source — in the form of Google's Japanese hands-ons
 * (GoogleCloudPlatform/gcp-getting-started-lab-jp): the title with the core path's total time,
 * one step per `#` and `##` heading, the congratulation, then the clean-up as the very last step.
 * The chapters already carry the walkthrough tags (GitHub hides them). Here:
 * - console blocks become a copyable `bash` block per group of commands, the output below it;
 *   each block under a visible label: where it runs (local, Google Cloud, Cloud Shell) and in
 *   which tab;
 * - a long code quote becomes a link that opens the quoted lines in Cloud Shell's editor;
 * - relative links become absolute (the tutorial panel does not open relative ones), and pictures
 *   are read from the published repository's files (raw.githubusercontent.com, pictures.ts): the
 *   panel shows no image by a path relative to it, and a GitHub page is not an image;
 * - pending blocks are shown but not copyable, and marker comments go.
 */

interface Texts {
  title: string;
  header: string;
  /** The note above a pending block (`block`) or above a pending paragraph. */
  pending: (issue: string, block: boolean) => string;
  label: (where: 'local' | 'cloud' | 'shell', tab: number) => string;
  openQuote: (path: string, name: string | undefined) => string;
  /** How an optional step's title ends. */
  optional: string;
  end: string[];
}

const ORDINAL_JA = ['', '1 つ目', '2 つ目', '3 つ目', '4 つ目', '5 つ目'];

export const TEXT: Record<Language, Texts> = {
  en: {
    title: 'meshapps hands-on: Cloud Run + Cloud Service Mesh',
    header: 'Generated from the chapters in this directory by `pnpm docs:build`: edit those, not this file.',
    pending: (issue, block) =>
      `> **Coming soon:** this needs ${issue}, which is not merged yet.${block ? ' The commands are shown for reference.' : ''}`,
    label: (where, tab) =>
      `**${{ local: 'Local', cloud: 'Google Cloud', shell: 'Cloud Shell' }[where]}**${tab > 1 ? ` (terminal tab ${tab})` : ''}`,
    openQuote: (path, name) =>
      name ? `Open \`${name}\` in \`${path}\` in the editor` : `Open \`${path}\` in the editor`,
    optional: '(optional)',
    end: [
      '## Well done',
      '',
      '<walkthrough-conclusion-trophy></walkthrough-conclusion-trophy>',
      '',
      'You ran the five demos of the talk, on Cloud Shell with `pnpm start` and on Google Cloud. One',
      'step is left: the clean-up, so that the load balancer and the warm instances stop costing money.',
    ],
  },
  ja: {
    title: 'meshapps ハンズオン: Cloud Run + Cloud Service Mesh',
    header:
      'このファイルは同じディレクトリの各章から `pnpm docs:build` で生成しています。編集は各章に対して行ってください。',
    pending: (issue, block) =>
      `> **準備中:** 未マージの ${issue} の機能です。${block ? 'コマンドは参考として示しています。' : ''}`,
    label: (where, tab) =>
      `**${{ local: 'ローカル', cloud: 'Google Cloud', shell: 'Cloud Shell' }[where]}**${tab > 1 ? `（${ORDINAL_JA[tab] ?? `${tab} 番目`}のタブ）` : ''}`,
    openQuote: (path, name) =>
      name ? `\`${path}\` の \`${name}\` をエディタで開く` : `\`${path}\` をエディタで開く`,
    optional: '（任意）',
    end: [
      '## おつかれさまでした',
      '',
      '<walkthrough-conclusion-trophy></walkthrough-conclusion-trophy>',
      '',
      // One line: a line break inside a Japanese sentence renders as a stray space.
      '講演の 5 つのデモを、Cloud Shell 上の `pnpm start` と Google Cloud の両方で動かしました。残りは最後のステップのクリーンアップです。ロードバランサと常時起動のインスタンスの課金を止めます。',
    ],
  },
};

/** In the tutorial, the project the participant picked in `<walkthrough-project-setup>`. */
const PROJECT_PLACEHOLDER = 'YOUR_PROJECT_ID';
/** A quote longer than this opens in the editor instead: a step stays short enough to read. */
const LONGEST_SHOWN_QUOTE = 15;
const TICKS = '```';

/** A relative link of a chapter, as an absolute address on GitHub. */
function absolute(target: string, chapter: string, root: string): string {
  if (/^[a-z]+:/.test(target) || target.startsWith('#')) return target;
  const [path, anchor] = target.split('#') as [string, string | undefined];
  const inRepo = relative(root, normalize(join(root, dirname(chapter), path)));
  const full = join(root, inRepo);
  const kind = existsSync(full) && statSync(full).isDirectory() ? 'tree' : 'blob';
  return `${repository(root).url}/${kind}/main/${inRepo}${anchor ? `#${anchor}` : ''}`;
}

function labelOf(fence: Fence, lang: Language): string | undefined {
  const where =
    fence.kind === 'runnable'
      ? 'local'
      : fence.kind === 'cloud'
        ? 'cloud'
        : copyableGroups(fence).length > 0
          ? 'shell'
          : undefined;
  return where && TEXT[lang].label(where, tabOf(fence));
}

function fenceLines(fence: Fence, lang: Language, root: string): string[] {
  const indent = fence.indent;
  const block = (info: string, body: string[]) => [
    `${indent}${TICKS}${info}`,
    ...body.map((l) => (l === '' ? '' : indent + l)),
    `${indent}${TICKS}`,
  ];
  const label = labelOf(fence, lang);
  const labelled = (lines: string[]) => (label ? [`${indent}${label}`, ...lines] : lines);
  if (fence.kind === 'pending' && fence.marker?.kind === 'pending')
    return [`${indent}${TEXT[lang].pending(fence.marker.issue, true)}`, '', ...block('text', fence.body)];
  if (fence.kind === 'quote' && fence.marker?.kind === 'quote' && fence.body.length > LONGEST_SHOWN_QUOTE) {
    const { path, first, last } = quotedRange(fence.marker.source, root);
    const name = fence.marker.source.split('#')[1];
    return [
      `${indent}<walkthrough-editor-select-line filePath="cloudshell_open/${repoName(root)}/${path}" startLine="${first}" endLine="${last + 1}" startCharacterOffset="0" endCharacterOffset="0">${TEXT[lang].openQuote(path, name)}</walkthrough-editor-select-line>`,
    ];
  }
  if (fence.info === 'console' && (fence.kind === 'runnable' || fence.kind === 'cloud')) {
    const out: string[] = [];
    for (const group of copyableGroups(fence)) {
      if (out.length > 0) out.push('');
      out.push(
        ...block(
          'bash',
          group.commands.flatMap((c) => c.text.split('\n')),
        ),
      );
      if (group.output.length > 0) out.push(...block('text', group.output));
    }
    return labelled(out);
  }
  // Cloud Shell offers its copy button on shell blocks; one spelling for all of them.
  const shell = fence.info === 'sh' || fence.info === 'shell';
  return shell ? labelled(block('bash', fence.body)) : block(fence.info, fence.body);
}

/**
 * Line `i` of a chapter with its destinations rewritten where the parser found them (not text in
 * inline code that only looks like a link): pictures read from `pictureBase`, relative links
 * made absolute.
 */
function proseLine(i: number, doc: MarkdownDoc, root: string, pictureBase: string | undefined): string {
  const here = doc.destinations.filter((d) => d.line === i + 1).sort((a, b) => b.start - a.start);
  let line = doc.lines[i] as string;
  for (const { start, end, picture } of here) {
    const target = line.slice(start, end);
    if (!target) continue;
    const address = (picture && pictureAddress(target, pictureBase)) || absolute(target, doc.file, root);
    line = line.slice(0, start) + address + line.slice(end);
  }
  return line;
}

function chapterLines(
  doc: MarkdownDoc,
  lang: Language,
  root: string,
  pictureBase: string | undefined,
): string[] {
  const out: string[] = [];
  const fenceAt = new Map(doc.fences.map((f) => [f.line - 1, f]));
  // One step per `#` and `##` heading (a setext one too), titled as stepTimes titles it.
  const stepAt = new Map(doc.headings.filter((h) => h.level <= 2).map((h) => [h.line - 1, h]));
  for (let i = 0; i < doc.lines.length; i++) {
    const fence = fenceAt.get(i);
    if (fence) {
      out.push(...fenceLines(fence, lang, root));
      i = fence.bodyEnd + 1;
      continue;
    }
    const step = stepAt.get(i);
    if (step) {
      out.push(`## ${step.text}`);
      i = step.endLine - 1;
      continue;
    }
    const line = doc.lines[i] as string;
    const markers = /^\s*<!--.*-->\s*$/.test(line) ? commentMarkers(line) : undefined;
    if (markers) {
      // A pending marker above prose (not a block) still warns the participant.
      const next = doc.lines.findIndex((l, j) => j > i && l.trim() !== '');
      for (const m of markers)
        if (m.kind === 'pending' && !fenceAt.has(next)) out.push(TEXT[lang].pending(m.issue, false), '');
      continue; // markers and notes to authors
    }
    out.push(proseLine(i, doc, root, pictureBase));
  }
  while (out.length > 0 && (out.at(-1) as string).trim() === '') out.pop();
  // Blank lines a removed marker left twice.
  return out.filter((l, j) => !(l.trim() === '' && (out[j - 1] ?? '').trim() === ''));
}

export interface StepTime {
  /** The step's title, as in the tutorial. */
  title: string;
  file: string;
  minutes: number | undefined;
  optional: boolean;
}

/**
 * The time of each step: a chapter's title carries the minutes of its core steps
 * (`<walkthrough-tutorial-duration>` under the `#` heading), an optional step (its title ends in
 * "(optional)" / 「（任意）」) carries its own.
 */
export function stepTimes(lang: Language, chapters: MarkdownDoc[]): StepTime[] {
  const steps: StepTime[] = [];
  for (const doc of chapters) {
    const headings = doc.headings.filter((h) => h.level <= 2);
    headings.forEach((h, i) => {
      const end = headings[i + 1]?.line ?? doc.lines.length + 1;
      const body = doc.lines.slice(h.line, end - 1).join('\n');
      const m = /<walkthrough-tutorial-duration duration="(\d+)">/.exec(body);
      steps.push({
        title: h.text,
        file: doc.file,
        minutes: m ? Number(m[1]) : undefined,
        optional: h.text.endsWith(TEXT[lang].optional),
      });
    });
  }
  return steps;
}

export const coreMinutes = (steps: StepTime[]) =>
  steps.filter((s) => !s.optional).reduce((sum, s) => sum + (s.minutes ?? 0), 0);

export function renderTutorial(lang: Language, chapters: MarkdownDoc[], root = REPO_ROOT): string {
  const text = TEXT[lang];
  const total = coreMinutes(stepTimes(lang, chapters));
  const lines = [
    `<!-- ${text.header} -->`,
    '',
    `# ${text.title}`,
    '',
    `<walkthrough-tutorial-duration duration="${total}"></walkthrough-tutorial-duration>`,
    '',
  ];
  const pictureBase = pictureBaseUrl(root);
  const bodies = chapters.map((doc) => chapterLines(doc, lang, root, pictureBase));
  // The congratulation comes before the last step, the clean-up (the last chapter's last section).
  const last = bodies.at(-1) ?? [];
  const cleanupAt = last.findLastIndex((l) => l.startsWith('## '));
  bodies.slice(0, -1).forEach((b) => {
    lines.push(...b, '');
  });
  lines.push(...last.slice(0, cleanupAt > 0 ? cleanupAt : last.length), ...text.end, '');
  if (cleanupAt > 0) lines.push(...last.slice(cleanupAt), '');
  return lines
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .replaceAll(PROJECT_PLACEHOLDER, '{{project-id}}');
}

/** The tutorial as the chapters on disk produce it. */
export function expectedTutorial(lang: Language, root = REPO_ROOT): { file: string; text: string } {
  return {
    file: tutorialFile(lang),
    text: renderTutorial(
      lang,
      chapterFiles(lang, root).map((f) => loadDoc(f, root)),
      root,
    ),
  };
}

/** One step of a rendered tutorial: its title and its length in lines. */
export function tutorialSteps(text: string): { title: string; lines: number; start: number }[] {
  const lines = text.replace(/\n$/, '').split('\n');
  const starts = lines.flatMap((l, i) => (l.startsWith('## ') ? [i] : []));
  return starts.map((s, k) => {
    let end = (starts[k + 1] ?? lines.length) - 1;
    while (end > s && (lines[end] as string).trim() === '') end--;
    return { title: (lines[s] as string).slice(3), lines: end - s + 1, start: s + 1 };
  });
}
