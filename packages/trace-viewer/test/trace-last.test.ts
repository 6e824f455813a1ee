import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderTextWaterfall, startTraceViewer, TraceStore, type TraceViewer } from '../src/index.ts';
import { chainTrace, newTraceId } from './fixtures.ts';

const CLI = fileURLToPath(new URL('../src/cli-last.ts', import.meta.url));
const run = promisify(execFile);

let viewer: TraceViewer;
beforeAll(async () => {
  viewer = await startTraceViewer({ port: 0 });
});
afterAll(() => viewer?.close());

function trace(args: string[], env: Record<string, string> = {}) {
  return run(process.execPath, ['--conditions=source', CLI, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
  });
}

describe('renderTextWaterfall', () => {
  it('draws the tree with indentation, bars on one time axis, durations and errors', () => {
    const store = new TraceStore();
    store.add(chainTrace('4bf92f3577b34da6a3ce929d0e0e4736', 1_000_000));
    const spans = store.get('4bf92f3577b34da6a3ce929d0e0e4736') ?? [];
    const text = renderTextWaterfall('4bf92f3577b34da6a3ce929d0e0e4736', spans, { barWidth: 20 });
    expect(text.split('\n')).toEqual([
      'trace 4bf92f3577b34da6a3ce929d0e0e4736  20.0 ms  6 spans  services: client, proxy, sidecar, target1',
      'client  GET /call/*                        |████████████████████|   20.0 ms',
      '  client  GET proxy.meshapps.internal      |  ████████████████  |   16.0 ms',
      '    proxy  GET /call/*                     |    ████████████    |   12.0 ms',
      '      proxy  GET target1.meshapps.internal |      ██████        |   6.00 ms  ✗ 403',
      '        sidecar  mesh proxy -> target1     |       ████         |   4.00 ms',
      '          target1  GET /                   |        ██          |   2.00 ms',
    ]);
  });
});

describe('pnpm trace:last', () => {
  it('prints the latest trace from --url, and a named one', async () => {
    const older = chainTrace(newTraceId(), Date.now() - 1000);
    const latest = chainTrace(newTraceId(), Date.now());
    viewer.store.add(latest);
    viewer.store.add(older);
    const { stdout } = await trace(['--url', viewer.url]);
    expect(stdout).toContain(`trace ${latest[0]?.traceId}`);
    for (const service of ['client', 'proxy', 'sidecar', 'target1']) expect(stdout).toContain(service);
    expect(stdout).toContain('✗ 403');
    expect(stdout).toContain(`${viewer.url}/?trace=${latest[0]?.traceId}`);

    const named = await trace([older[0]?.traceId as string], { MESHAPPS_TRACE_VIEWER: viewer.url });
    expect(named.stdout).toContain(`trace ${older[0]?.traceId}`);
  });

  it('waits for spans that arrive after its first read: the whole trace, not the part exported so far', async () => {
    const spans = chainTrace(newTraceId(), Date.now() + 60_000); // the latest trace
    viewer.store.add(spans.slice(0, 2));
    // The rest arrives just after the CLI's first read of the trace, as a batch export would.
    const get = viewer.store.get.bind(viewer.store);
    viewer.store.get = (id) => {
      const seen = get(id);
      viewer.store.get = get;
      viewer.store.add(spans.slice(2));
      return seen;
    };
    const { stdout } = await trace(['--url', viewer.url]);
    expect(viewer.store.get).toBe(get); // the first read did happen before the rest came
    expect(stdout).toContain(`trace ${spans[0]?.traceId}`);
    expect(stdout).toMatch(/ 6 spans /);
  });

  it('keeps to one trace while traffic keeps making newer ones, and prints it settled', async () => {
    const get = viewer.store.get.bind(viewer.store);
    let reads = 0;
    viewer.store.get = (id) => {
      reads++;
      viewer.store.add(chainTrace(newTraceId(), Date.now() + 120_000 + reads)); // a newer trace each time
      return get(id);
    };
    try {
      const { stdout, stderr } = await trace(['--url', viewer.url]);
      expect(stderr).toBe(''); // settled: no "may be incomplete"
      expect(stdout).toMatch(/ 6 spans /);
      expect(reads).toBe(3); // the first latest, the latest after one wait, that one again
    } finally {
      viewer.store.get = get;
    }
  });

  it('says what is wrong when the viewer is not running or the trace is unknown', async () => {
    const down = trace(['--url', 'http://127.0.0.1:9']);
    await expect(down).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('cannot reach the trace viewer'),
    });
    const unknown = trace([newTraceId(), '--url', viewer.url]);
    await expect(unknown).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('404') });
  });
});
