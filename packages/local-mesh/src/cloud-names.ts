/**
 * The emulated project. Names follow Cloud Run's real formats so what participants see locally
 * (service account emails, run.app URLs) reads exactly as it will in their own project.
 */
export const LOCAL_PROJECT = {
  id: 'meshapps-local',
  number: '123456789012',
  region: 'asia-northeast1',
} as const;

export function serviceAccountEmail(accountId: string): string {
  return `${accountId}@${LOCAL_PROJECT.id}.iam.gserviceaccount.com`;
}

/** Cloud Run's deterministic URL: https://<service>-<project number>.<region>.run.app */
export function runAppHost(service: string): string {
  return `${service}-${LOCAL_PROJECT.number}.${LOCAL_PROJECT.region}.run.app`;
}

/** The wildcard the local run.app certificate covers. */
export const RUN_APP_WILDCARD = `*.${LOCAL_PROJECT.region}.run.app`;
