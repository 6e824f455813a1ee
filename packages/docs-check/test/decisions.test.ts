import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@meshapps/mesh-config';
import type { Link, Paragraph, RootContent } from 'mdast';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { toString as textOf } from 'mdast-util-to-string';
import { describe, expect, it } from 'vitest';

/**
 * docs/decisions: every record states its status in one line under its title, in one format
 * (docs/decisions/README.md says it); the index lists every record with that status; and a
 * "superseded by N" or "amended by N" points at a record N that says what it supersedes or amends.
 */
const DIR = join(REPO_ROOT, 'docs/decisions');
const RELATIONS = ['superseded by', 'amended by', 'supersedes', 'amends'] as const;
type Relation = (typeof RELATIONS)[number];
/** The mirror of each relation: what the other record must say. */
const MIRROR: Record<Relation, Relation> = {
  'superseded by': 'supersedes',
  supersedes: 'superseded by',
  'amended by': 'amends',
  amends: 'amended by',
};

interface DecisionRecord {
  number: string;
  file: string;
  title: string;
  /** The status as the index writes it: `accepted`, or the "superseded by"/"amended by" clauses. */
  state: string;
  relations: Record<Relation, string[]>;
  problems: string[];
}

const isParagraph = (node: RootContent | undefined): node is Paragraph => node?.type === 'paragraph';
const links = (node: Paragraph): Link[] => node.children.filter((c): c is Link => c.type === 'link');

/** One record read as CommonMark: its title, its status line, and any status said elsewhere. */
function readRecord(file: string, text: string, files: readonly string[]): DecisionRecord {
  const problems: string[] = [];
  const [heading, status, ...rest] = fromMarkdown(text).children;
  const title = /^(\d{3}) — (.+)$/.exec(heading?.type === 'heading' ? textOf(heading) : '');
  if (!title) problems.push('the first line is not "# NNN — title"');
  const relations = Object.fromEntries(
    RELATIONS.map((r) => [r, [] as string[]]),
  ) as DecisionRecord['relations'];
  const line = isParagraph(status) && status.children[0]?.type === 'strong' ? textOf(status) : '';
  const clauses = /^Status: (.+)\.$/.exec(line)?.[1]?.split('; ') ?? [];
  if (clauses.length === 0) problems.push('no "**Status:** …." line right under the title');
  for (const clause of clauses) {
    const relation = RELATIONS.find((r) => clause.startsWith(`${r} `));
    const numbers = relation ? clause.slice(relation.length + 1).split(', ') : [];
    if (clause === 'accepted') continue;
    if (!relation || !numbers.every((n) => /^\d{3}$/.test(n))) problems.push(`unknown status "${clause}"`);
    else relations[relation].push(...numbers);
  }
  for (const link of isParagraph(status) ? links(status) : []) {
    const target = files.find((f) => f.startsWith(`${textOf(link)}-`));
    if (link.url !== target)
      problems.push(`link ${textOf(link)} goes to ${link.url}, not ${target ?? 'a record'}`);
  }
  const state = clauses.filter((c) => c === 'accepted' || /^(superseded|amended) by /.test(c));
  if (state.length === 0 || (state.includes('accepted') && state.length > 1))
    problems.push('the status is either "accepted" or says what amended or superseded it');
  const elsewhere = rest.map((n) => textOf(n)).join('\n');
  for (const m of elsewhere.matchAll(/\b(superseded|amended)( in part)? by\b|\bsupersedes\b|\bamends\b/gi))
    problems.push(`"${m[0]}" outside the status line: say it there, once`);
  return {
    number: title?.[1] ?? file.slice(0, 3),
    file,
    title: title?.[2] ?? '',
    state: state.join('; '),
    relations,
    problems,
  };
}

/** What the records say of each other that the other side does not say back. */
function unmirrored(records: readonly DecisionRecord[]): string[] {
  const byNumber = new Map(records.map((r) => [r.number, r]));
  return records.flatMap((record) =>
    RELATIONS.flatMap((relation) =>
      record.relations[relation].flatMap((n) => {
        const other = byNumber.get(n);
        if (!other) return [`${record.number} says "${relation} ${n}": there is no record ${n}`];
        return other.relations[MIRROR[relation]].includes(record.number)
          ? []
          : [
              `${record.number} says "${relation} ${n}", but ${n} does not say "${MIRROR[relation]} ${record.number}"`,
            ];
      }),
    ),
  );
}

interface IndexEntry {
  number: string;
  url: string;
  state: string;
  title: string;
}

/** The index's list under "Records": `- [NNN](file) · status · title`, one item per record. */
function readIndex(text: string): IndexEntry[] {
  const nodes = fromMarkdown(text).children;
  const start = nodes.findIndex((n) => n.type === 'heading' && textOf(n) === 'Records');
  return nodes.slice(start + 1).flatMap((node) =>
    node.type !== 'list'
      ? []
      : node.children.map((item) => {
          const paragraph = item.children[0];
          const link = isParagraph(paragraph) ? links(paragraph)[0] : undefined;
          const [number = '', state = '', title = ''] = textOf(item).split(' · ');
          return { number, url: link?.url ?? '', state, title };
        }),
  );
}

/** Each line of the index that is not the record in its place, as the record says itself. */
function indexProblems(index: readonly IndexEntry[], records: readonly DecisionRecord[]): string[] {
  const said = (e: IndexEntry | undefined) => e && `[${e.number}](${e.url}) · ${e.state} · ${e.title}`;
  const expected = records.map((r) => ({ number: r.number, url: r.file, state: r.state, title: r.title }));
  const problems: string[] = [];
  for (let i = 0; i < Math.max(index.length, expected.length); i++) {
    const [listed, record] = [index[i], expected[i]];
    if (JSON.stringify(listed) === JSON.stringify(record)) continue;
    if (!listed) problems.push(`the index lacks ${said(record)}`);
    else if (!record) problems.push(`the index lists ${said(listed)} after the last record`);
    else problems.push(`the index lists ${said(listed)}; the record says ${said(record)}`);
  }
  return problems;
}

const files = readdirSync(DIR)
  .filter((f) => /^\d{3}-.+\.md$/.test(f))
  .sort();
const records = files.map((f) => readRecord(f, readFileSync(join(DIR, f), 'utf8'), files));

describe('decision records', () => {
  it.each(records.map((r) => [r.file, r] as const))(
    '%s states its status in the one format',
    (_f, record) => {
      expect(record.problems).toEqual([]);
    },
  );

  it('each "superseded by" / "amended by" names a record that says what it supersedes / amends, and back', () => {
    expect(unmirrored(records)).toEqual([]);
  });

  it('the index lists every record once, in order, with the status and title the record itself says', () => {
    const index = readIndex(readFileSync(join(DIR, 'README.md'), 'utf8'));
    expect(indexProblems(index, records)).toEqual([]);
  });
});

// The checks fed the mistakes they exist for (kept here, so they stay proven).
describe('the decision checks catch', () => {
  const planted = (status: string, body = '**Context.** Text.') =>
    readRecord('900-x.md', `# 900 — X\n\n${status}\n\n${body}\n`, ['900-x.md', '901-y.md']);

  it('a record marked the old ways, or not at all', () => {
    expect(planted('> **Superseded by [901](901-y.md):** text.').problems).toContain(
      'no "**Status:** …." line right under the title',
    );
    expect(planted('**Status:** accepted.', 'Amended by [901](901-y.md): in the body.').problems).toEqual([
      '"Amended by" outside the status line: say it there, once',
    ]);
    expect(planted('**Status:** replaced by [901](901-y.md).').problems).toContain(
      'unknown status "replaced by 901"',
    );
    expect(planted('**Status:** accepted; superseded by [901](901-y.md).').problems).toContain(
      'the status is either "accepted" or says what amended or superseded it',
    );
    expect(planted('**Status:** superseded by [901](902-z.md).').problems).toEqual([
      'link 901 goes to 902-z.md, not 901-y.md',
    ]);
  });

  it('a "superseded by" that the other record does not answer, or that names no record', () => {
    const old = planted('**Status:** superseded by [901](901-y.md).');
    const silent = readRecord('901-y.md', '# 901 — Y\n\n**Status:** accepted.\n', ['900-x.md', '901-y.md']);
    expect(unmirrored([old, silent])).toEqual([
      '900 says "superseded by 901", but 901 does not say "supersedes 900"',
    ]);
    expect(unmirrored([old])).toEqual(['900 says "superseded by 901": there is no record 901']);
  });

  it('an index whose status differs from the record', () => {
    const index = readIndex('## Records\n\n- [900](900-x.md) · accepted · X\n');
    const record = planted('**Status:** amended by [901](901-y.md).');
    expect(record.state).toBe('amended by 901');
    expect(indexProblems(index, [record])).toEqual([
      'the index lists [900](900-x.md) · accepted · X; the record says [900](900-x.md) · amended by 901 · X',
    ]);
    const fixed = readIndex('## Records\n\n- [900](900-x.md) · amended by [901](901-y.md) · X\n');
    expect(indexProblems(fixed, [record])).toEqual([]);
    expect(indexProblems([], [record])).toEqual(['the index lacks [900](900-x.md) · amended by 901 · X']);
  });
});
