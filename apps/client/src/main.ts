// client — the public entry behind the load balancer. It starts every demo chain:
//   /call/<mesh host>/…                  with the mesh (plain HTTP)
//   /call-with-authheader/<run.app host>  without the mesh (ID token)
import { chainRoutes } from '@meshapps/call';
import { runService } from '@meshapps/service';

await runService({
  defaultName: 'client',
  routes: async (app, service) => {
    await app.register(chainRoutes, { service });
  },
});
