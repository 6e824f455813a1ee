/** One figure of the report; with a goal it is checked, without one it is for information. */
export interface Figure {
  id: string;
  label: string;
  /** null: not measured in this run (`note` says why). */
  value: number | null;
  unit: string;
  goal?: { op: '<=' | '>='; limit: number };
  note?: string;
  /** Why the figure cannot be told from its noise (noise.ts): then it is neither pass nor FAIL. */
  unreliable?: string[];
}

export type Verdict = 'pass' | 'FAIL' | 'unreliable' | 'info' | 'skipped';

export function verdict(f: Figure): Verdict {
  if (f.value === null || !Number.isFinite(f.value)) return 'skipped';
  if (f.unreliable?.length) return 'unreliable';
  if (!f.goal) return 'info';
  return (f.goal.op === '<=' ? f.value <= f.goal.limit : f.value >= f.goal.limit) ? 'pass' : 'FAIL';
}

export function formatValue(value: number | null, unit: string): string {
  if (value === null || !Number.isFinite(value)) return '—';
  const digits = unit === '×' ? 2 : Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  const n = value.toFixed(digits);
  return unit === '×' ? `${n}×` : `${n} ${unit}`;
}

/** The goals table: figure, measured value, goal, verdict — side by side, one line each. */
export function goalsTable(figures: readonly Figure[]): string {
  const rows = figures.map((f) => [
    f.label,
    formatValue(f.value, f.unit),
    f.goal ? `${f.goal.op === '<=' ? '≤' : '≥'} ${formatValue(f.goal.limit, f.unit)}` : '',
    verdict(f),
    [...(f.unreliable ?? []), ...(f.note ? [f.note] : [])].join('; '),
  ]);
  const head = ['figure', 'measured', 'goal', 'verdict', 'note'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 1 || i === 2 ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** A plain table for the detail sections (first column left, the rest right-aligned). */
export function table(head: string[], rows: (string | number)[][]): string {
  const cells = rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)));
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number)))
      .join('  ')
      .trimEnd();
  return [line(head), ...cells.map(line)].join('\n');
}

function fmt(n: number): string {
  if (!Number.isFinite(n)) return '—';
  if (Number.isInteger(n)) return String(n);
  return Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2);
}
