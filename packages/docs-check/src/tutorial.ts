import { stepsOf } from './console-block.ts';
import { chapterFiles, type Language, loadDoc, tutorialFile } from './docs.ts';
import { type Fence, type MarkdownDoc, parseMarker } from './markdown.ts';
import { pictureBaseUrl, withPictureBase } from './pictures.ts';

/**
 * The Cloud Shell tutorial of a language (`cloudshell_tutorial=…`, `teachme …`), generated from
 * its chapters — one source. Cloud Shell shows one `##` section per page, so each chapter title
 * and each of its sections becomes a step. The chapters already carry the walkthrough tags
 * (GitHub hides them); here console blocks become a copyable `bash` block per command with its
 * output below, pending blocks are shown but not copyable, marker comments go, and pictures are
 * read from the published repository (a tutorial panel shows no repository-relative image).
 */

interface Texts {
  title: string;
  header: string;
  /** The note above a pending block (`block`) or above a pending paragraph. */
  pending: (issue: string, block: boolean) => string;
  end: string[];
}

const TEXT: Record<Language, Texts> = {
  en: {
    title: 'meshapps hands-on: Cloud Run + Cloud Service Mesh',
    header: 'Generated from the chapters in this directory by `pnpm docs:build`: edit those, not this file.',
    pending: (issue, block) =>
      `> **Coming soon:** this needs ${issue}, which is not merged yet.${block ? ' The commands are shown for reference.' : ''}`,
    end: [
      '## Well done',
      '',
      '<walkthrough-conclusion-trophy></walkthrough-conclusion-trophy>',
      '',
      'You ran the five demos of the talk on your own machine and on Google Cloud. Do not forget the teardown',
      'of chapter 6 if you deployed to a project: the load balancer is billed by the hour.',
    ],
  },
  ja: {
    title: 'meshapps ハンズオン: Cloud Run + Cloud Service Mesh',
    header:
      'このファイルは同じディレクトリの各章から `pnpm docs:build` で生成しています。編集は各章に対して行ってください。',
    pending: (issue, block) =>
      `> **準備中:** 未マージの ${issue} の機能です。${block ? 'コマンドは参考として示しています。' : ''}`,
    end: [
      '## おつかれさまでした',
      '',
      '<walkthrough-conclusion-trophy></walkthrough-conclusion-trophy>',
      '',
      'セッションの 5 つのデモを、手元の環境と Google Cloud の両方で実行しました。プロジェクトにデプロイした場合は、',
      '第 6 章のクリーンアップを忘れずに実行してください。ロードバランサは時間単位で課金されます。',
    ],
  },
};

/** In the tutorial, the project the participant picked in `<walkthrough-project-setup>`. */
const PROJECT_PLACEHOLDER = 'YOUR_PROJECT_ID';

function fenceLines(fence: Fence, lang: Language): string[] {
  const ticks = '```';
  const indent = fence.indent;
  const block = (info: string, body: string[]) => [
    `${indent}${ticks}${info}`,
    ...body.map((l) => (l === '' ? '' : indent + l)),
    `${indent}${ticks}`,
  ];
  if (fence.kind === 'pending' && fence.marker?.kind === 'pending')
    return [`${indent}${TEXT[lang].pending(fence.marker.issue, true)}`, '', ...block('text', fence.body)];
  if (fence.info === 'console' && (fence.kind === 'runnable' || fence.kind === 'cloud')) {
    // Commands without output stay together in one copyable block; an output closes it.
    const out: string[] = [];
    let commands: string[] = [];
    for (const step of stepsOf(fence)) {
      commands.push(...step.command.split('\n'));
      if (step.expected.length === 0) continue;
      if (out.length > 0) out.push('');
      out.push(...block('bash', commands), '', ...block('text', step.expected));
      commands = [];
    }
    if (commands.length > 0) out.push(...(out.length > 0 ? [''] : []), ...block('bash', commands));
    return out;
  }
  // Cloud Shell offers its copy button on shell blocks; one spelling for all of them.
  return block(fence.info === 'sh' || fence.info === 'shell' ? 'bash' : fence.info, fence.body);
}

function chapterLines(doc: MarkdownDoc, lang: Language, pictureBase: string | undefined): string[] {
  const out: string[] = [];
  const fenceAt = new Map(doc.fences.map((f) => [f.line - 1, f]));
  for (let i = 0; i < doc.lines.length; i++) {
    const fence = fenceAt.get(i);
    if (fence) {
      out.push(...fenceLines(fence, lang));
      i = fence.bodyEnd + 1;
      continue;
    }
    const line = doc.lines[i] as string;
    const comment = /^\s*<!--\s*(.*?)\s*-->\s*$/.exec(line);
    if (comment) {
      // A pending marker above prose (not a block) still warns the participant.
      const marker = parseMarker(comment[1] as string);
      const next = doc.lines.findIndex((l, j) => j > i && l.trim() !== '');
      if (marker.kind === 'pending' && !fenceAt.has(next))
        out.push(TEXT[lang].pending(marker.issue, false), '');
      continue; // markers and notes to authors
    }
    const heading = /^(#{1,2})\s+(.*)$/.exec(line);
    out.push(heading ? `## ${heading[2]}` : withPictureBase(line, pictureBase));
  }
  while (out.length > 0 && (out.at(-1) as string).trim() === '') out.pop();
  return out;
}

/** `pictureBase`: where the tutorial reads the chapters' pictures from (pictures.ts). */
export function renderTutorial(lang: Language, chapters: MarkdownDoc[], pictureBase?: string): string {
  const text = TEXT[lang];
  const lines = [`<!-- ${text.header} -->`, '', `# ${text.title}`, ''];
  for (const doc of chapters) lines.push(...chapterLines(doc, lang, pictureBase), '');
  lines.push(...text.end, '');
  return lines.join('\n').replaceAll(PROJECT_PLACEHOLDER, '{{project-id}}');
}

/** The tutorial as the chapters on disk produce it. */
export function expectedTutorial(lang: Language): { file: string; text: string } {
  return {
    file: tutorialFile(lang),
    text: renderTutorial(
      lang,
      chapterFiles(lang).map((f) => loadDoc(f)),
      pictureBaseUrl(),
    ),
  };
}
