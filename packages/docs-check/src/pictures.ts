import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { REPO_ROOT } from '@meshapps/mesh-config';
import { chapterFiles, LANGUAGES, type Language, loadDoc, WORKSHOP_DIR } from './docs.ts';
import { repository } from './repository.ts';

/**
 * The guide's pictures: screenshots of the trace viewer taken from the real stack by
 * packages/docs-check/test/pictures.test.ts (`pnpm docs:pictures` retakes them). Each PNG has
 * beside it the summary of what the page drew (`NAME.json`), which the test compares on every
 * run, and each is shown in both languages, in the same chapter.
 */
export const PICTURES_DIR = `${WORKSHOP_DIR}/images`;

export interface PictureUse {
  file: string;
  line: number;
  alt: string;
  picture: string;
}

export function pictureUses(lang: Language, root = REPO_ROOT): PictureUse[] {
  return chapterFiles(lang, root).flatMap((file) =>
    loadDoc(file, root).images.flatMap(({ url, line, alt }) => {
      const picture = /^\.\.\/images\/([^/]+)$/.exec(url)?.[1];
      return picture ? [{ file, line, alt: alt.trim(), picture }] : [];
    }),
  );
}

/**
 * A picture without its summary (or a summary without its picture), shown in one language only
 * or in different chapters, or without alt text. A missing file is `linkProblems`' to report.
 */
export function pictureProblems(root = REPO_ROOT): string[] {
  const dir = join(root, PICTURES_DIR);
  const files = existsSync(dir) ? readdirSync(dir) : [];
  const pngs = files.filter((f) => f.endsWith('.png'));
  const problems: string[] = [];
  for (const f of files.filter((f) => f.endsWith('.json')))
    if (!pngs.includes(f.replace(/\.json$/, '.png')))
      problems.push(`${PICTURES_DIR}/${f}: a drawing summary without its picture`);
  for (const png of pngs)
    if (!files.includes(png.replace(/\.png$/, '.json')))
      problems.push(`${PICTURES_DIR}/${png}: no drawing summary beside it (pnpm docs:pictures writes both)`);

  const uses = Object.fromEntries(LANGUAGES.map((l) => [l, pictureUses(l, root)])) as Record<
    Language,
    PictureUse[]
  >;
  for (const lang of LANGUAGES)
    for (const u of uses[lang])
      if (!u.alt) problems.push(`${u.file}:${u.line}: ${u.picture} has no alt text`);
  for (const png of pngs) {
    const where = LANGUAGES.map((lang) => {
      const chapters = uses[lang].filter((u) => u.picture === png).map((u) => basename(u.file));
      if (chapters.length === 0)
        problems.push(`${PICTURES_DIR}/${png} is not shown in ${WORKSHOP_DIR}/${lang}/`);
      return `${[...new Set(chapters)].sort().join(', ')} (${lang})`;
    });
    const [en, ja] = where.map((w) => w.replace(/ \(\w+\)$/, ''));
    if (en && ja && en !== ja) problems.push(`${PICTURES_DIR}/${png} is in ${where.join(' but ')}`);
  }
  return problems;
}

/**
 * Where a Cloud Shell tutorial finds a picture: its panel shows images only by full address, not
 * by a path relative to the tutorial, so the picture is read from the published repository
 * (`repository.url` in package.json, on its default branch). Undefined when that is not GitHub.
 */
export function pictureBaseUrl(root = REPO_ROOT): string | undefined {
  const { url, owner, name } = repository(root);
  return owner && url === `https://github.com/${owner}/${name}`
    ? `https://raw.githubusercontent.com/${owner}/${name}/HEAD/${PICTURES_DIR}/`
    : undefined;
}

/** A picture's address in a chapter (`../images/name.png`) as read from `base`; else undefined. */
export function pictureAddress(url: string, base: string | undefined): string | undefined {
  const picture = /^\.\.\/images\/(.+)$/.exec(url)?.[1];
  return base && picture ? `${base}${picture}` : undefined;
}
