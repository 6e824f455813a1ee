// client — the public entry behind the load balancer. It starts every demo chain:
//   /call/<mesh host>/…                  with the mesh (plain HTTP)
//   /call-with-authheader/<run.app host>  without the mesh (ID token)
import { chainRoutes } from '@meshapps/call';
import { runService } from '@meshapps/service';

await runService({
  defaultName: 'client',
  routes: async (app, service) => {
    // Without the mesh, only this project's run.app URLs may be called (learnt from the metadata server).
    await app.register(chainRoutes, { service, runApp: 'this-project' });
  },
});
