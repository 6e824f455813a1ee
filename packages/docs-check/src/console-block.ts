import type { Fence } from './markdown.ts';

/** One `$ command` of a console block and the output documented under it. */
export interface Step {
  /** The command without its `$ ` prompt; continuation lines (after a trailing `\`) included. */
  command: string;
  /** 1-based line of the `$ ` line in the Markdown file. */
  line: number;
  /** The documented output lines, blank lines before the next command removed. */
  expected: string[];
}

export class BlockSyntaxError extends Error {}

/**
 * Splits a console block into steps. Every line from a `$ ` line up to the next one is that
 * command's output, except continuation lines of a command ending in `\`.
 */
export function stepsOf(fence: Fence): Step[] {
  const steps: Step[] = [];
  let current: Step | undefined;
  let continuing = false;
  fence.body.forEach((raw, i) => {
    const lineNo = fence.line + 1 + i;
    if (continuing && current) {
      current.command += `\n${raw}`;
      continuing = raw.endsWith('\\');
      return;
    }
    if (raw.startsWith('$ ')) {
      current = { command: raw.slice(2), line: lineNo, expected: [] };
      steps.push(current);
      continuing = raw.endsWith('\\');
      return;
    }
    if (!current) {
      if (raw.trim() === '') return;
      throw new BlockSyntaxError(`${fence.file}:${lineNo}: output before the first "$ " command`);
    }
    current.expected.push(raw);
  });
  for (const step of steps) {
    while (step.expected.length > 0 && (step.expected.at(-1) as string).trim() === '') step.expected.pop();
  }
  return steps;
}
