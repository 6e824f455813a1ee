// The load generator's own process: its event loop and CPU are not the mesh's (the local mesh's
// sidecars and fronts run in the bench's main process), so generating load never queues
// behind the very thing being measured, and its CPU is not counted as the mesh's.
import { type LoadJob, runJob } from './load-runner.ts';

process.on('message', (job: LoadJob) => {
  runJob(job).then(
    (result) => process.send?.(result),
    (err: unknown) => process.send?.({ kind: 'error', message: String(err) }),
  );
});
process.on('disconnect', () => process.exit(0));
