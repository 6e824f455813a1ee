import type { Code, Html, Heading as MdHeading, Nodes, Parents, Root } from 'mdast';
import { type Extension, fromMarkdown, type Handle } from 'mdast-util-from-markdown';
import { toString as textOf } from 'mdast-util-to-string';

/**
 * The Markdown the docs checks read — headings, fenced code blocks with the marker comment written
 * right above each (docs-check/README.md lists the markers), and links — as a CommonMark parser
 * (mdast-util-from-markdown) sees it: a fence inside a list item, a setext heading or a `#`
 * inside a code block mean what GitHub and Cloud Shell make of them.
 */

export interface Heading {
  level: number;
  text: string;
  /** 1-based line number. */
  line: number;
  /** 1-based line number of its last line: a setext heading's underline. */
  endLine: number;
}

export type Marker =
  | { kind: 'cloud' }
  | { kind: 'pending'; issue: string }
  | { kind: 'quote'; source: string }
  /** The block runs in terminal tab N of Cloud Shell (1 when not said); opened anew if it is not open. */
  | { kind: 'tab'; tab: number }
  /** The Cloud Shell session was lost before this block: every tab and `pnpm start` are gone. */
  | { kind: 'reconnect' }
  /** An HTML comment above a fence that is none of the above: a typo, reported. */
  | { kind: 'unknown'; text: string };

/**
 * What the checks do with a block:
 * - runnable: a `console` block with `$ ` commands, executed against a running `pnpm start`;
 * - cloud: commands for Google Cloud, not executed here, compared with what the repo generates;
 * - pending: shows a feature that is not merged yet; neither executed nor compared;
 * - quote: generated from a source file by `pnpm docs:build`;
 * - other: any other fence (YAML, text, Cloud Shell commands in `sh`), left alone.
 */
export type BlockKind = 'runnable' | 'cloud' | 'pending' | 'quote' | 'other';

export interface Fence {
  /** Repository-relative path of the Markdown file. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The info string's first word: `console`, `yaml`, … */
  info: string;
  /** Lines between the fences, the fence's indentation removed. */
  body: string[];
  /** The markers in the comments right above the block (`<!-- cloud; tab: 2 -->` holds two). */
  markers: Marker[];
  /** The marker that decides the kind (cloud, pending, quote), or an unknown one. */
  marker: Marker | undefined;
  kind: BlockKind;
  /** The nearest heading above the block. */
  section: string;
  /** Line indexes (0-based) of the first and last body line, for rewriting quotes in place. */
  bodyStart: number;
  bodyEnd: number;
  indent: string;
}

export interface Link {
  url: string;
  /** 1-based line. */
  line: number;
}

/** A picture, `![alt](url)`; its `url` is among the links too. */
export interface Image extends Link {
  alt: string;
}

/**
 * Where a link's, picture's or definition's destination is written (inside the `<…>` when so
 * written): columns `start` to `end` (0-based, end excluded) of `lines[line - 1]`.
 */
export interface Destination {
  line: number;
  start: number;
  end: number;
  picture: boolean;
}

export interface MarkdownDoc {
  file: string;
  text: string;
  lines: string[];
  headings: Heading[];
  fences: Fence[];
  /** Links and pictures: a missing file is a broken link either way. */
  links: Link[];
  images: Image[];
  /** Where the destinations of `links` are written, to rewrite them in place (the tutorial). */
  destinations: Destination[];
}

/** One marker comment's text (without `<!--`/`-->`); `;` separates several markers in one comment. */
function parseMarkers(comment: string): Marker[] {
  return comment
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(parseMarker);
}

export function parseMarker(comment: string): Marker {
  if (comment === 'cloud') return { kind: 'cloud' };
  if (comment === 'reconnect') return { kind: 'reconnect' };
  const tab = /^tab:\s*([1-9])$/.exec(comment);
  if (tab?.[1]) return { kind: 'tab', tab: Number(tab[1]) };
  const pending = /^pending:\s*(issue\s+\d+)$/.exec(comment);
  if (pending?.[1]) return { kind: 'pending', issue: pending[1] };
  const quote = /^quote:\s*(\S+)$/.exec(comment);
  if (quote?.[1]) return { kind: 'quote', source: quote[1] };
  return { kind: 'unknown', text: comment };
}

/** The markers of an HTML node that is exactly one comment, else undefined. */
export function commentMarkers(html: string): Marker[] | undefined {
  const m = /^<!--\s*([\s\S]*?)\s*-->$/.exec(html.trim());
  return m ? parseMarkers(m[1] as string) : undefined;
}

const KIND_MARKERS = new Set(['cloud', 'pending', 'quote', 'unknown']);

function kindOf(info: string, body: string[], marker: Marker | undefined): BlockKind {
  if (marker?.kind === 'quote') return 'quote';
  if (marker?.kind === 'pending') return 'pending';
  if (marker?.kind === 'cloud') return 'cloud';
  if (info === 'console' && body.some((l) => l.startsWith('$ '))) return 'runnable';
  return 'other';
}

function walk(node: Nodes, visit: (node: Nodes, parent: Parents | undefined, index: number) => void) {
  const go = (n: Nodes, parent: Parents | undefined, index: number) => {
    visit(n, parent, index);
    if ('children' in n)
      n.children.forEach((c, i) => {
        go(c as Nodes, n as Parents, i);
      });
  };
  go(node, undefined, 0);
}

/** The comment right above a block: its previous sibling, if that is an HTML comment. */
function markersAbove(parent: Parents | undefined, index: number): Marker[] {
  const before = parent?.children[index - 1];
  if (before?.type !== 'html') return [];
  return commentMarkers((before as Html).value) ?? [];
}

function fenceOf(file: string, lines: string[], code: Code, markers: Marker[], section: string): Fence {
  const start = code.position?.start;
  const end = code.position?.end;
  if (!start || !end) throw new Error(`${file}: a code block without a position`);
  const opening = lines[start.line - 1] as string;
  const indent = opening.slice(0, opening.length - opening.trimStart().length);
  const closed = /^\s*(`{3,}|~{3,})\s*$/.test(lines[end.line - 1] ?? '') && end.line > start.line;
  const bodyEnd = closed ? end.line - 2 : end.line - 1;
  const body = bodyEnd < start.line ? [] : code.value.split('\n');
  const info = code.lang ?? '';
  const marker = markers.find((m) => KIND_MARKERS.has(m.kind));
  return {
    file,
    line: start.line,
    info,
    body,
    markers,
    marker,
    kind: kindOf(info, body, marker),
    section,
    bodyStart: start.line,
    bodyEnd,
    indent,
  };
}

/**
 * mdast keeps where a link starts and ends, not where its destination is: these handlers note
 * the destination micromark found, as the link, picture or definition is being built.
 */
function destinationsInto(found: Destination[]): Extension {
  const note = (literal: boolean): Handle =>
    function (token) {
      const { start, end } = token;
      const inside = literal ? 1 : 0; // `<` and `>` are not the destination
      if (start.line === end.line)
        found.push({
          line: start.line,
          start: start.column - 1 + inside,
          end: end.column - 1 - inside,
          picture: this.stack.at(-1)?.type === 'image',
        });
    };
  return {
    enter: {
      resourceDestinationRaw: note(false),
      resourceDestinationLiteral: note(true),
      definitionDestinationRaw: note(false),
      definitionDestinationLiteral: note(true),
    },
  };
}

export function parseMarkdown(file: string, text: string): MarkdownDoc {
  const lines = text.split('\n');
  const destinations: Destination[] = [];
  const tree: Root = fromMarkdown(text, { mdastExtensions: [destinationsInto(destinations)] });
  const headings: Heading[] = [];
  const fences: Fence[] = [];
  const links: Link[] = [];
  const images: Image[] = [];
  let section = '';
  walk(tree, (node, parent, index) => {
    const line = node.position?.start.line ?? 0;
    if (node.type === 'heading') {
      const h = {
        level: (node as MdHeading).depth,
        text: headingText(lines, node as MdHeading),
        line,
        endLine: node.position?.end.line ?? line,
      };
      headings.push(h);
      section = h.text;
    } else if (node.type === 'code' && node.position) {
      fences.push(fenceOf(file, lines, node, markersAbove(parent, index), section));
    } else if (node.type === 'link' || node.type === 'definition') {
      links.push({ url: node.url, line });
    } else if (node.type === 'image') {
      links.push({ url: node.url, line });
      images.push({ url: node.url, line, alt: node.alt ?? '' });
    }
  });
  return { file, text, lines, headings, fences, links, images, destinations };
}

/**
 * A heading as written (inline code keeps its backticks, as GitHub's anchors and the tutorial's
 * step titles need); a setext heading's text is its first line.
 */
function headingText(lines: string[], heading: MdHeading): string {
  const first = lines[(heading.position?.start.line ?? 1) - 1] ?? '';
  const atx = /^\s{0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(first);
  return atx ? (atx[1] as string) : textOf(heading).trim();
}
