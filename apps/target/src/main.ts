// target — the end of every chain. One app, deployed under many names (target1, target2,
// target-green, without-mesh-target, …): it answers with its K_SERVICE and calls no one.
// FAIL_PERCENT (0–100, a Cloud Run env var) makes that share of answers a 500, to teach a rollback.
import { failureSchedule, HopError, readFailPercent, refuseToStart, runService } from '@meshapps/service';

let failPercent = 0;
try {
  failPercent = readFailPercent(process.env);
} catch (err) {
  refuseToStart((err as Error).message);
}
const failsNow = failureSchedule(failPercent);

await runService({
  defaultName: 'target',
  routes: (app, service) => {
    app.get('/', async () => {
      if (failsNow()) {
        throw new HopError(500, `${service} failed on purpose (FAIL_PERCENT=${failPercent})`, {
          chain: [service],
        });
      }
      return { message: service };
    });
  },
});
