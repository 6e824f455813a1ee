/**
 * Wall-clock time to the microsecond, on one time base for every process on this machine.
 *
 * Each Node process has its own idea of "now" for spans: the OpenTelemetry SDK stamps a span's
 * start with Date.now() (whole milliseconds) and `performance.timeOrigin` differs per process by
 * up to a few ms, so on one machine a child span could start before its parent or end after it.
 * Here every process anchors the monotonic clock (performance.now(), which Linux keeps system-wide)
 * to the exact moment Date.now() ticks over to the next millisecond: processes that do so agree to
 * within microseconds, whenever they started.
 */
interface Anchor {
  wallMs: number;
  perfMs: number;
}

/**
 * The tick of Date.now() to its next millisecond, placed between the performance.now() readings
 * around the last call that still returned the old value and the first that returned the new one.
 */
export function anchorAtTick(
  wall: () => number = Date.now,
  perf: () => number = () => performance.now(),
): Anchor {
  let best: Anchor & { spread: number } = {
    wallMs: wall() + 0.5,
    perfMs: perf(),
    spread: Number.POSITIVE_INFINITY,
  };
  // A few tries: a window with a pause in it (the process descheduled) is a poor anchor.
  for (let attempt = 0; attempt < 10 && best.spread > 0.02; attempt++) {
    let prev = perf();
    const first = wall();
    let before = prev;
    let now = first;
    const giveUp = prev + 3;
    while (now === first && before < giveUp) {
      prev = before;
      before = perf();
      now = wall();
    }
    const after = perf();
    // The tick came after the last call that read `first` (so after `prev`) and before `after`.
    if (now === first + 1 && after - prev < best.spread)
      best = { wallMs: now, perfMs: (prev + after) / 2, spread: after - prev };
  }
  return { wallMs: best.wallMs, perfMs: best.perfMs };
}

/**
 * A clock on the shared time base, reading the two clocks it is given (the real ones by default;
 * a test gives stand-ins, so what it asserts is exact, not a window).
 */
export function sharedWallClock(
  wall: () => number = Date.now,
  perf: () => number = () => performance.now(),
): () => number {
  let anchor: Anchor | undefined;
  let checkedAt = Number.NEGATIVE_INFINITY;
  return () => {
    const now = perf();
    if (!anchor) anchor = anchorAtTick(wall, perf);
    else if (now - checkedAt > 10_000) {
      // The wall clock can be stepped (NTP, a suspended laptop): follow it when it moved.
      checkedAt = now;
      if (Math.abs(anchor.wallMs + (now - anchor.perfMs) - wall()) > 1.5) anchor = anchorAtTick(wall, perf);
    }
    return anchor.wallMs + (perf() - anchor.perfMs);
  };
}

/** Milliseconds since the Unix epoch, fractional, on the shared time base. */
export const preciseNowMs: () => number = sharedWallClock();
