import { isIP } from 'node:net';

/**
 * The only configuration an app reads: what Cloud Run sets (and the local mesh sets the same way),
 * plus documented app settings (docs/architecture.md).
 * https://cloud.google.com/run/docs/container-contract#env-vars
 */
export interface CloudRunEnv {
  port: number;
  /** `LISTEN_ADDRESS`, an app setting: `0.0.0.0` (Cloud Run's contract) unless set. */
  listenAddress: string;
  service: string;
  revision: string | undefined;
  configuration: string | undefined;
}

export function readCloudRunEnv(env: NodeJS.ProcessEnv, fallbackService: string): CloudRunEnv {
  const port = env.PORT === undefined || env.PORT === '' ? 8080 : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be a port number (0-65535), got "${env.PORT}"`);
  }
  const listenAddress = env.LISTEN_ADDRESS || '0.0.0.0';
  if (isIP(listenAddress) === 0) {
    throw new Error(
      `LISTEN_ADDRESS must be an IP address (0.0.0.0 on Cloud Run, 127.0.0.1 locally), got "${env.LISTEN_ADDRESS}"`,
    );
  }
  return {
    port,
    listenAddress,
    service: env.K_SERVICE || fallbackService,
    revision: env.K_REVISION || undefined,
    configuration: env.K_CONFIGURATION || undefined,
  };
}
