import type { AppAloneSettings } from './app-alone.ts';
import type { HopCpuSettings } from './hop-cpu.ts';
import type { LatencySettings, ThroughputSettings } from './mesh-scenarios.ts';
import type { StackMemorySettings } from './stack-memory.ts';

export interface BenchSettings {
  /** Build each app's image (Dockerfile replay) for the footprint and the image-entry figures. */
  images: boolean;
  stack: StackMemorySettings;
  latency: LatencySettings;
  throughput: ThroughputSettings;
  hopCpu: HopCpuSettings;
  app: AppAloneSettings;
}

/** wrk's default in the first measurements; enough to saturate one Node process. */
const CONNECTIONS = 8;

export const SETTINGS: { full: BenchSettings; quick: BenchSettings } = {
  // About four minutes on 2 cores: three rounds of every latency figure, the 60 s sustained load.
  full: {
    images: true,
    stack: { idleMs: 10_000 },
    latency: { rounds: 3, durationMs: 10_000, warmupMs: 2000, hopRate: 500, overviewRate: 600 },
    throughput: { rounds: 5, sliceMs: 1000, connections: CONNECTIONS },
    // Istio's rate (perf-reliability.md §1); about 40 s with the bare-proxy slices.
    hopCpu: { rounds: 3, rate: 1000, durationMs: 5000, warmupMs: 1000 },
    app: {
      startRounds: 5,
      idleMs: 2000,
      throughputRounds: 5,
      sliceMs: 1000,
      connections: CONNECTIONS,
      sustainedMs: 60_000,
      sustainedRate: 500,
    },
  },
  // Every phase once, briefly: proves each figure can be produced (the smoke test), measures nothing.
  quick: {
    images: false,
    stack: { idleMs: 1000 },
    latency: { rounds: 1, durationMs: 500, warmupMs: 100, hopRate: 100, overviewRate: 120 },
    throughput: { rounds: 1, sliceMs: 250, connections: 2 },
    hopCpu: { rounds: 1, rate: 100, durationMs: 300, warmupMs: 100 },
    app: {
      startRounds: 1,
      idleMs: 100,
      throughputRounds: 1,
      sliceMs: 250,
      connections: 2,
      sustainedMs: 300,
      sustainedRate: 50,
    },
  },
};
