import type { Shape } from '@meshapps/mesh-config';

/**
 * The Cloud Build config file schema (cloudbuild.yaml), known fields only:
 * https://cloud.google.com/build/docs/build-config-file-schema
 * Unknown keys are typos Cloud Build would reject, so the shape rejects them too.
 */
const str: Shape = { kind: 'string' };
const bool: Shape = { kind: 'boolean' };
const int: Shape = { kind: 'integer', min: 0 };
const duration: Shape = { kind: 'duration' };
const list = (of: Shape): Shape => ({ kind: 'array', of });
const map = (of: Shape): Shape => ({ kind: 'map', of });
const obj = (fields: Record<string, Shape>, required: string[] = []): Shape => ({
  kind: 'object',
  fields,
  required,
});

const volume = obj({ name: str, path: str }, ['name', 'path']);

/** An enum field: Cloud Build rejects any other value ("invalid value" at submit). */
const oneOf = (values: readonly string[]): Shape => ({
  kind: 'string',
  pattern: new RegExp(`^(?:${values.join('|')})$`),
  hint: `must be one of ${values.join(', ')}`,
});

/** BuildOptions enums (Cloud Build v1 API reference, google.devtools.cloudbuild.v1.BuildOptions). */
export const MACHINE_TYPES = [
  'UNSPECIFIED',
  'N1_HIGHCPU_8',
  'N1_HIGHCPU_32',
  'E2_HIGHCPU_8',
  'E2_HIGHCPU_32',
  'E2_MEDIUM',
  'E2_STANDARD_2',
] as const;
export const LOGGING_MODES = [
  'LOGGING_UNSPECIFIED',
  'LEGACY',
  'GCS_ONLY',
  'STACKDRIVER_ONLY',
  'CLOUD_LOGGING_ONLY',
  'NONE',
] as const;

export const STEP_SHAPE: Shape = obj(
  {
    name: str,
    args: list(str),
    env: list(str),
    dir: str,
    id: str,
    waitFor: list(str),
    entrypoint: str,
    secretEnv: list(str),
    volumes: list(volume),
    timeout: duration,
    script: str,
    allowFailure: bool,
    allowExitCodes: list({ kind: 'integer' }),
    automapSubstitutions: bool,
  },
  ['name'],
);

const OPTIONS_SHAPE: Shape = obj({
  sourceProvenanceHash: list(oneOf(['NONE', 'SHA256', 'MD5', 'GO_MODULE_H1', 'SHA512'])),
  requestedVerifyOption: oneOf(['NOT_VERIFIED', 'VERIFIED']),
  machineType: oneOf(MACHINE_TYPES),
  diskSizeGb: int,
  substitutionOption: oneOf(['MUST_MATCH', 'ALLOW_LOOSE']),
  dynamicSubstitutions: bool,
  automapSubstitutions: bool,
  logStreamingOption: oneOf(['STREAM_DEFAULT', 'STREAM_ON', 'STREAM_OFF']),
  logging: oneOf(LOGGING_MODES),
  defaultLogsBucketBehavior: oneOf([
    'DEFAULT_LOGS_BUCKET_BEHAVIOR_UNSPECIFIED',
    'REGIONAL_USER_OWNED_BUCKET',
    'LEGACY_BUCKET',
  ]),
  env: list(str),
  secretEnv: list(str),
  volumes: list(volume),
  pool: obj({ name: str }, ['name']),
});

export const CLOUD_BUILD_SHAPE: Shape = obj(
  {
    steps: { kind: 'array', of: STEP_SHAPE, minItems: 1 },
    timeout: duration,
    queueTtl: duration,
    substitutions: map(str),
    options: OPTIONS_SHAPE,
    images: list(str),
    artifacts: obj({
      objects: obj({ location: str, paths: list(str) }),
      mavenArtifacts: list(obj({ repository: str, path: str, artifactId: str, groupId: str, version: str })),
      pythonPackages: list(obj({ repository: str, paths: list(str) })),
      npmPackages: list(obj({ repository: str, packagePath: str })),
    }),
    availableSecrets: obj({
      secretManager: list(obj({ versionName: str, env: str }, ['versionName', 'env'])),
      inline: list(obj({ kmsKeyName: str, envMap: map(str) })),
    }),
    serviceAccount: str,
    logsBucket: str,
    tags: list(str),
  },
  ['steps'],
);

/** Substitutions Cloud Build always (or, for triggers, automatically) provides. */
export const BUILT_IN_SUBSTITUTIONS = new Set([
  'PROJECT_ID',
  'PROJECT_NUMBER',
  'BUILD_ID',
  'LOCATION',
  'TRIGGER_NAME',
  'COMMIT_SHA',
  'REVISION_ID',
  'SHORT_SHA',
  'REPO_NAME',
  'REPO_FULL_NAME',
  'BRANCH_NAME',
  'TAG_NAME',
  'REF_NAME',
  'TRIGGER_BUILD_CONFIG_PATH',
  'SERVICE_ACCOUNT_EMAIL',
  'SERVICE_ACCOUNT',
  '_HEAD_BRANCH',
  '_BASE_BRANCH',
  '_HEAD_REPO_URL',
  '_PR_NUMBER',
]);
