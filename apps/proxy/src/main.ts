// proxy — the middle of the chain: called by client, calls target1 (IAM allows only that).
import { chainRoutes } from '@meshapps/call';
import { runService } from '@meshapps/service';

await runService({
  defaultName: 'proxy',
  routes: async (app, service) => {
    // Without the mesh, only this project's run.app URLs may be called (learnt from the metadata server).
    await app.register(chainRoutes, { service, runApp: 'this-project' });
  },
});
