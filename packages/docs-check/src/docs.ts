import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@meshapps/mesh-config';
import { type MarkdownDoc, parseMarkdown } from './markdown.ts';

/** The guide's languages; each has the same chapters in docs/workshop/<lang>/. */
export const LANGUAGES = ['en', 'ja'] as const;
export type Language = (typeof LANGUAGES)[number];

export const WORKSHOP_DIR = 'docs/workshop';
/** A chapter file: two digits, a dash, a name. */
export const CHAPTER_FILE = /^\d\d-[a-z0-9-]+\.md$/;

/** The Cloud Shell tutorial of a language, generated from its chapters by `pnpm docs:build`. */
export const tutorialFile = (lang: Language) => `${WORKSHOP_DIR}/${lang}/tutorial.md`;

export function chapterFiles(lang: Language, root = REPO_ROOT): string[] {
  return readdirSync(join(root, WORKSHOP_DIR, lang))
    .filter((f) => CHAPTER_FILE.test(f))
    .sort()
    .map((f) => `${WORKSHOP_DIR}/${lang}/${f}`);
}

function markdownUnder(dir: string, root: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...markdownUnder(rel, root));
    else if (entry.name.endsWith('.md')) out.push(rel);
  }
  return out.sort();
}

/**
 * Every Markdown file whose blocks the checks read, README first, then the chapters (English,
 * then Japanese), then the other pages. Generated tutorials are checked for freshness instead.
 */
export function docFiles(root = REPO_ROOT): string[] {
  const generated = new Set<string>(LANGUAGES.map(tutorialFile));
  const chapters = LANGUAGES.flatMap((l) => chapterFiles(l, root));
  const rest = markdownUnder('docs', root).filter((f) => !generated.has(f) && !chapters.includes(f));
  return ['README.md', ...chapters, ...rest];
}

export function loadDoc(file: string, root = REPO_ROOT): MarkdownDoc {
  return parseMarkdown(file, readFileSync(join(root, file), 'utf8'));
}
