// target — the end of every chain. One app, deployed under many names (target1, target2,
// target-green, without-mesh-target, …): it answers with its K_SERVICE and calls no one.
import { runService } from '@meshapps/service';

await runService({
  defaultName: 'target',
  routes: (app, service) => {
    app.get('/', async () => ({ message: service }));
  },
});
