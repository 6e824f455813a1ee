import { basename } from 'node:path';
import type { MarkdownDoc } from './markdown.ts';

/**
 * The English and Japanese guides are one guide in two languages: the same chapter files, the
 * same sections (headings per level, in order), and the same code blocks — commands, outputs,
 * quotes, markers — word for word and in the same order. Only the prose is translated.
 */
export function parityProblems(a: MarkdownDoc[], b: MarkdownDoc[]): string[] {
  const problems: string[] = [];
  const names = (docs: MarkdownDoc[]) => docs.map((d) => basename(d.file));
  const [namesA, namesB] = [names(a), names(b)];
  for (const n of namesA)
    if (!namesB.includes(n)) problems.push(`${n}: only in ${a[0]?.file ?? 'one language'}`);
  for (const n of namesB)
    if (!namesA.includes(n)) problems.push(`${n}: only in ${b[0]?.file ?? 'one language'}`);
  for (const docA of a) {
    const docB = b.find((d) => basename(d.file) === basename(docA.file));
    if (docB) problems.push(...chapterParity(docA, docB));
  }
  return problems;
}

/**
 * The same block text, a path into the language's own guide aside: `teachme
 * docs/workshop/ja/tutorial.md` in Japanese is `…/en/…` in English.
 */
const sameText = (a: string[], b: string[]) =>
  a.join('\n').replace(/docs\/workshop\/[a-z]{2}\//g, 'docs/workshop/LANG/') ===
  b.join('\n').replace(/docs\/workshop\/[a-z]{2}\//g, 'docs/workshop/LANG/');

const levels = (doc: MarkdownDoc) => doc.headings.map((h) => h.level).join(' ');

const describe = (doc: MarkdownDoc, i: number) => {
  const f = doc.fences[i];
  return f
    ? `${doc.file}:${f.line} (${f.kind}${f.markers.length > 0 ? ` ${JSON.stringify(f.markers)}` : ''})`
    : `${doc.file}: no block`;
};

export function chapterParity(a: MarkdownDoc, b: MarkdownDoc): string[] {
  const problems: string[] = [];
  if (levels(a) !== levels(b))
    problems.push(
      `${a.file} and ${b.file} have different sections (heading levels ${levels(a)} vs ${levels(b)})`,
    );
  const count = Math.max(a.fences.length, b.fences.length);
  for (let i = 0; i < count; i++) {
    const fa = a.fences[i];
    const fb = b.fences[i];
    const same =
      fa &&
      fb &&
      fa.info === fb.info &&
      fa.kind === fb.kind &&
      JSON.stringify(fa.markers) === JSON.stringify(fb.markers) &&
      sameText(fa.body, fb.body);
    if (!same) {
      problems.push(`block ${i + 1} differs: ${describe(a, i)} vs ${describe(b, i)}`);
      break; // one shifted block would report every later one
    }
  }
  return problems;
}
