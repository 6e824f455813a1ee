/**
 * `FAIL_PERCENT` (0–100, default 0): a release that fails on purpose, to teach a rollback. It is a
 * Cloud Run environment variable like any other, so the same setting works locally and deployed.
 */
export function readFailPercent(env: NodeJS.ProcessEnv): number {
  const raw = env.FAIL_PERCENT?.trim();
  if (raw === undefined || raw === '') return 0;
  if (!/^\d{1,3}$/.test(raw) || Number(raw) > 100) {
    throw new Error(`FAIL_PERCENT must be a whole number from 0 to 100, got "${env.FAIL_PERCENT}"`);
  }
  return Number(raw);
}

/**
 * Which requests fail: exactly `percent` of every 100, spread evenly (20 → every 5th), so a demo
 * or a test sees the share it asked for without depending on luck.
 */
export function failureSchedule(percent: number): () => boolean {
  let n = 0;
  return () => {
    n++;
    return Math.floor((n * percent) / 100) > Math.floor(((n - 1) * percent) / 100);
  };
}

/** A bad setting stops the revision before it listens, with one Cloud Logging line saying why. */
export function refuseToStart(reason: string, exit: (code: number) => never = process.exit): never {
  process.stderr.write(
    `${JSON.stringify({ severity: 'CRITICAL', message: `not starting: ${reason}`, time: new Date().toISOString() })}\n`,
  );
  return exit(1);
}
