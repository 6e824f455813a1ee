// proxy — the middle of the chain: called by client, calls target1 (IAM allows only that).
import { chainRoutes } from '@meshapps/call';
import { runService } from '@meshapps/service';

await runService({
  defaultName: 'proxy',
  routes: async (app, service) => {
    await app.register(chainRoutes, { service });
  },
});
