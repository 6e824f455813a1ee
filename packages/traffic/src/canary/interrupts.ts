import type { RestoreReport } from './route-owner.ts';

export type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

/** Exit status after a signal, as a shell reports it: 128 + its number. */
export const EXIT_AFTER: Record<StopSignal, number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

/**
 * What each signal does while the canary walks (decision 072). The first Ctrl-C is a request: finish
 * the batch, put the previous weights back and wait until they are served. A second Ctrl-C, a
 * SIGTERM (whoever sends it waits briefly before SIGKILL) or a SIGHUP (the terminal is gone) is
 * an order: put the previous file back now, synchronously, say what it holds, exit.
 */
export function interruptHandler(deps: { graceful: () => void; now: (signal: StopSignal) => void }) {
  let asked = false;
  return (signal: StopSignal): 'graceful' | 'now' => {
    if (signal === 'SIGINT' && !asked) {
      asked = true;
      deps.graceful();
      return 'graceful';
    }
    deps.now(signal);
    return 'now';
  };
}

export interface CloudState {
  project: string;
  /** The route text last imported in full. */
  imported: string;
  /** The text an import was under way for when the signal came, if any (the import is stopped). */
  importing?: string;
}

/**
 * The lines a signal ends the canary with: what the route file holds now and, on Google Cloud,
 * what the project was last given — exactly, so nobody has to guess what is in force.
 */
export function restoreLines(
  signal: StopSignal,
  report: RestoreReport,
  ctx: {
    shownFile: string;
    previous: string;
    describe: (text: string) => string;
    cloud?: CloudState;
    importByHand?: string;
  },
): string[] {
  const d = ctx.describe;
  const lines: string[] = [];
  switch (report.state) {
    case 'already':
      lines.push(`canary: ${signal} — ${ctx.shownFile} holds the previous weights (${d(report.holds)})`);
      break;
    case 'restored':
      lines.push(
        `canary: ${signal} — ${ctx.shownFile} holds the previous weights again (${d(report.holds)}; the step had ${d(report.was)}); not waited for until served`,
      );
      break;
    case 'edited':
      lines.push(
        `canary: ${signal} — ${ctx.shownFile} was changed by hand during the walk: left as it is (${report.holds === undefined ? 'it is gone or no longer a regular file' : `it holds ${d(report.holds)}`})`,
      );
      break;
    case 'failed':
      lines.push(
        `canary: ${signal} — could not put the previous weights back (${report.error}): ${ctx.shownFile} still holds ${d(report.holds)}; the previous weights were ${d(ctx.previous)}: put them back by hand`,
      );
      break;
  }
  const cloud = ctx.cloud;
  if (cloud && cloud.importing === undefined && cloud.imported === ctx.previous)
    lines.push(`  project ${cloud.project}: last imported with the previous weights (${d(cloud.imported)})`);
  else if (cloud) {
    const half = cloud.importing
      ? `; an import of ${d(cloud.importing)} was stopped half-way, so either may be in force`
      : '';
    lines.push(
      `  project ${cloud.project}: last imported with ${d(cloud.imported)}${half}. To import the file as it is now: ${ctx.importByHand}`,
    );
  }
  return lines;
}
