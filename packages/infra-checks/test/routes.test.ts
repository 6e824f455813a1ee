import { join } from 'node:path';
import {
  ConfigInvalidError,
  formatErrors,
  loadRoutes,
  loadTopology,
  REPO_ROOT,
  renderRoute,
} from '@meshapps/mesh-config';
import { describe, expect, it } from 'vitest';
import { checkRenderedRoutes } from '../src/routes/check.ts';
import { edit, messages, tempRepo } from './helpers.ts';

const topology = loadTopology(join(REPO_ROOT, 'infra/topology.yaml'));

function loadErrors(root: string): string {
  try {
    loadRoutes(join(root, 'infra/routes'), topology);
    return '';
  } catch (err) {
    if (err instanceof ConfigInvalidError) return formatErrors(err.errors);
    throw err;
  }
}

describe('route YAML: the HttpRoute v1 shape (the local mesh validator) and rendering for a project', () => {
  it('every route passes, and renders to valid import YAML with no placeholder left', () => {
    const routes = loadRoutes(join(REPO_ROOT, 'infra/routes'), topology);
    expect(routes.length).toBeGreaterThan(0);
    expect(messages(checkRenderedRoutes(routes, topology, 'my-demo-project'))).toBe('');
    for (const r of routes) expect(renderRoute(r.text, 'my-demo-project')).not.toContain('${');
  });

  it('catches an unknown field (gcloud import rejects it)', () => {
    const root = tempRepo();
    edit(root, 'infra/routes/target23.yaml', (t) => t.replace('weight: 50\n', 'weigth: 50\n'));
    expect(loadErrors(root)).toContain('weigth: unknown field');
  });

  it('catches a placeholder that rendering does not fill', () => {
    const root = tempRepo();
    edit(root, 'infra/routes/proxy.yaml', (t) =>
      t.replace('name: route-proxy\n', 'name: route-proxy\ndescription: proxy in ${REGION}\n'),
    );
    const routes = loadRoutes(join(root, 'infra/routes'), topology);
    expect(messages(checkRenderedRoutes(routes, topology, 'my-demo-project'))).toContain(
      'placeholder ${REGION} left after rendering',
    );
  });

  it('catches a destination that is not a backend service of the topology', () => {
    const root = tempRepo();
    edit(root, 'infra/routes/target1.yaml', (t) =>
      t.replace('backendServices/target1', 'backendServices/target9'),
    );
    expect(loadErrors(root)).toContain('backend service "target9" is not a service in the topology');
  });

  it('refuses to render for something that is not a project id', () => {
    expect(() => renderRoute('name: x\n', 'My Project')).toThrow(/not a Google Cloud project id/);
  });
});
