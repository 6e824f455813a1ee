import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, type ServiceSpec } from '@meshapps/mesh-config';
import type { ServiceEnvironment } from './service-environments.ts';

/** Where every app listens locally: loopback only, so the network reaches nothing past the fronts. */
export const LOCAL_LISTEN_ADDRESS = '127.0.0.1';

export function appDir(spec: ServiceSpec): string {
  const dir = join(REPO_ROOT, 'apps', spec.app);
  if (!existsSync(join(dir, 'src', 'main.ts'))) {
    throw new Error(
      `service ${spec.name}: app "${spec.app}" has no ${join('apps', spec.app, 'src', 'main.ts')}`,
    );
  }
  return dir;
}

/**
 * The developer's own OTEL_* choices (sampler, log level, SDK off…) reach every app; where
 * spans go stays the local viewer.
 */
export function tracingChoices(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter(
      (e): e is [string, string] =>
        e[0].startsWith('OTEL_') && !e[0].startsWith('OTEL_EXPORTER_OTLP_') && e[1] !== undefined,
    ),
  );
}

/**
 * Exactly what Cloud Run gives a container, plus the standard variables that point the real
 * client libraries at the emulated cloud. Nothing of the developer's own environment leaks in
 * (their gcloud credentials or proxies would change what the apps do).
 */
export function appEnvironment(
  spec: ServiceSpec,
  at: ServiceEnvironment & {
    port: number;
    caFile: string;
    /** The service's own HOME, made by the caller (under the mesh's state folder). */
    home: string;
    extra?: Record<string, string> | undefined;
  },
): Record<string, string> {
  const home = at.home;
  const proxy = `http://127.0.0.1:${at.proxyPort}`;
  const noProxy = '127.0.0.1,localhost,metadata.google.internal,169.254.169.254';
  return {
    // First, so nothing in it (a topology env:, --env, OTEL_* choices) can override what the
    // platform sets below — above all LISTEN_ADDRESS, which keeps the apps off the network.
    ...at.extra,
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    PORT: String(at.port),
    K_SERVICE: spec.name,
    K_REVISION: `${spec.name}-00001-loc`,
    K_CONFIGURATION: spec.name,
    GCE_METADATA_HOST: at.metadataHost,
    HTTP_PROXY: proxy,
    HTTPS_PROXY: proxy,
    NO_PROXY: noProxy,
    http_proxy: proxy,
    https_proxy: proxy,
    no_proxy: noProxy,
    NODE_EXTRA_CA_CERTS: at.caFile,
    // An app setting (docs/architecture.md), as FAIL_PERCENT is: Cloud Run wants 0.0.0.0, the
    // local mesh loopback — the fronts are the only way in, as on Cloud Run.
    LISTEN_ADDRESS: LOCAL_LISTEN_ADDRESS,
  };
}
