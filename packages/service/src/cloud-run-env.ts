/**
 * The only configuration an app reads: what Cloud Run sets (and the local mesh sets the same way).
 * https://cloud.google.com/run/docs/container-contract#env-vars
 */
export interface CloudRunEnv {
  port: number;
  service: string;
  revision: string | undefined;
  configuration: string | undefined;
}

export function readCloudRunEnv(env: NodeJS.ProcessEnv, fallbackService: string): CloudRunEnv {
  const port = env.PORT === undefined || env.PORT === '' ? 8080 : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be a port number (0-65535), got "${env.PORT}"`);
  }
  return {
    port,
    service: env.K_SERVICE || fallbackService,
    revision: env.K_REVISION || undefined,
    configuration: env.K_CONFIGURATION || undefined,
  };
}
