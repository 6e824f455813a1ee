import { HopError } from '@meshapps/service';
import type { AllowList } from './hosts.ts';

/**
 * Without the mesh, a service should only ever call (and mint ID tokens for) its own project's
 * services: https://<service>-<project number>.<region>.run.app. Both numbers come from the
 * metadata server, so the allow-list needs no configuration on Cloud Run (or in the local mesh).
 * Any other run.app host — someone else's service — is refused like any host outside the list.
 */
export function thisProjectRunApp(): () => Promise<AllowList> {
  let pending: Promise<AllowList> | undefined;
  return () => {
    pending ??= lookUp().catch((err: unknown) => {
      pending = undefined; // try again on the next request
      throw new HopError(
        503,
        `cannot tell this project's run.app URLs from the metadata server: ${(err as Error).message}`,
      );
    });
    return pending;
  };
}

async function lookUp(): Promise<AllowList> {
  // Loaded on the first without-mesh call, not at start (see IdTokens).
  const { instance, project } = await import('gcp-metadata');
  const [number, region] = await Promise.all([project('numeric-project-id'), instance('region')]);
  // instance/region answers "projects/<number>/regions/<region>".
  const regionName = String(region).split('/').pop();
  if (!/^\d+$/.test(String(number)) || !regionName || !/^[a-z0-9-]+$/.test(regionName)) {
    throw new Error(`unexpected answers: project number "${number}", region "${region}"`);
  }
  return { suffixes: [`-${number}.${regionName}.run.app`] };
}
