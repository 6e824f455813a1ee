/**
 * The little of Markdown the docs checks need: headings and fenced code blocks, each block with
 * the marker comment written right above it (docs-check/README.md lists the markers).
 */

export interface Heading {
  level: number;
  text: string;
  /** 1-based line number. */
  line: number;
}

export type Marker =
  | { kind: 'cloud' }
  | { kind: 'pending'; issue: string }
  | { kind: 'quote'; source: string }
  /** An HTML comment above a fence that is none of the above: a typo, reported. */
  | { kind: 'unknown'; text: string };

/**
 * What the checks do with a block:
 * - runnable: a `console` block with `$ ` commands, executed against a running `pnpm start`;
 * - cloud: commands for Google Cloud, not executed here, compared with what the repo generates;
 * - pending: shows a feature that is not merged yet; neither executed nor compared;
 * - quote: generated from a source file by `pnpm docs:build`;
 * - other: any other fence (YAML, text, setup commands in `sh`), left alone.
 */
export type BlockKind = 'runnable' | 'cloud' | 'pending' | 'quote' | 'other';

export interface Fence {
  /** Repository-relative path of the Markdown file. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The info string: `console`, `yaml`, … */
  info: string;
  /** Lines between the fences, the fence's indentation removed. */
  body: string[];
  marker: Marker | undefined;
  kind: BlockKind;
  /** The nearest heading above the block. */
  section: string;
  /** Line indexes (0-based) of the first and last body line, for rewriting quotes in place. */
  bodyStart: number;
  bodyEnd: number;
  indent: string;
}

export interface MarkdownDoc {
  file: string;
  text: string;
  lines: string[];
  headings: Heading[];
  fences: Fence[];
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([^`\s]*)?.*$/;
const MARKER = /^<!--\s*(.*?)\s*-->$/;

export function parseMarker(comment: string): Marker {
  if (comment === 'cloud') return { kind: 'cloud' };
  const pending = /^pending:\s*(issue\s+\d+)$/.exec(comment);
  if (pending?.[1]) return { kind: 'pending', issue: pending[1] };
  const quote = /^quote:\s*(\S+)$/.exec(comment);
  if (quote?.[1]) return { kind: 'quote', source: quote[1] };
  return { kind: 'unknown', text: comment };
}

function kindOf(info: string, body: string[], marker: Marker | undefined): BlockKind {
  if (marker?.kind === 'quote') return 'quote';
  if (marker?.kind === 'pending') return 'pending';
  if (marker?.kind === 'cloud') return 'cloud';
  if (info === 'console' && body.some((l) => l.startsWith('$ '))) return 'runnable';
  return 'other';
}

/** The HTML comment on the last non-blank line above `index`, if there is one. */
function markerAbove(lines: string[], index: number): Marker | undefined {
  for (let i = index - 1; i >= 0; i--) {
    const line = (lines[i] as string).trim();
    if (line === '') continue;
    const m = MARKER.exec(line);
    return m ? parseMarker(m[1] as string) : undefined;
  }
  return undefined;
}

export function parseMarkdown(file: string, text: string): MarkdownDoc {
  const lines = text.split('\n');
  const headings: Heading[] = [];
  const fences: Fence[] = [];
  let section = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const open = FENCE.exec(line);
    if (open) {
      const indent = open[1] as string;
      const fence = open[2] as string;
      const info = open[3] ?? '';
      const body: string[] = [];
      let j = i + 1;
      for (; j < lines.length; j++) {
        const l = lines[j] as string;
        const trimmed = l.trim();
        if (trimmed.startsWith(fence) && /^(`+|~+)$/.test(trimmed)) break;
        body.push(l.startsWith(indent) ? l.slice(indent.length) : l.trimStart());
      }
      const marker = markerAbove(lines, i);
      fences.push({
        file,
        line: i + 1,
        info,
        body,
        marker,
        kind: kindOf(info, body, marker),
        section,
        bodyStart: i + 1,
        bodyEnd: j - 1,
        indent,
      });
      i = j;
      continue;
    }
    const heading = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      const h = { level: (heading[1] as string).length, text: heading[2] as string, line: i + 1 };
      headings.push(h);
      section = h.text;
    }
  }
  return { file, text, lines, headings, fences };
}
