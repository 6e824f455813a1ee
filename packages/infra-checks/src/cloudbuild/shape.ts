import { duration, fields, oneOf } from '@meshapps/mesh-config';
import { z } from 'zod';

/**
 * The Cloud Build config file schema (cloudbuild.yaml), known fields only:
 * https://cloud.google.com/build/docs/build-config-file-schema
 * Unknown keys are typos Cloud Build would reject, so the schema rejects them too. The types the
 * checks use are inferred from it.
 */
const text = z.string().optional();
const flag = z.boolean().optional();
const texts = z.array(z.string()).optional();
const textMap = z.record(z.string(), z.string()).optional();

const volume = fields({ name: z.string(), path: z.string() });

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

const STEP = fields({
  name: z.string(),
  args: texts,
  env: texts,
  dir: text,
  id: text,
  waitFor: texts,
  entrypoint: text,
  secretEnv: texts,
  volumes: z.array(volume).optional(),
  timeout: duration.optional(),
  script: text,
  allowFailure: flag,
  allowExitCodes: z.array(z.int()).optional(),
  automapSubstitutions: flag,
});

// Enum fields: Cloud Build rejects any other value ("invalid value" at submit).
const OPTIONS = fields({
  sourceProvenanceHash: z.array(oneOf(['NONE', 'SHA256', 'MD5', 'GO_MODULE_H1', 'SHA512'])).optional(),
  requestedVerifyOption: oneOf(['NOT_VERIFIED', 'VERIFIED']).optional(),
  machineType: oneOf(MACHINE_TYPES).optional(),
  diskSizeGb: z.int().min(0).optional(),
  substitutionOption: oneOf(['MUST_MATCH', 'ALLOW_LOOSE']).optional(),
  dynamicSubstitutions: flag,
  automapSubstitutions: flag,
  logStreamingOption: oneOf(['STREAM_DEFAULT', 'STREAM_ON', 'STREAM_OFF']).optional(),
  logging: oneOf(LOGGING_MODES).optional(),
  defaultLogsBucketBehavior: oneOf([
    'DEFAULT_LOGS_BUCKET_BEHAVIOR_UNSPECIFIED',
    'REGIONAL_USER_OWNED_BUCKET',
    'LEGACY_BUCKET',
  ]).optional(),
  env: texts,
  secretEnv: texts,
  volumes: z.array(volume).optional(),
  pool: fields({ name: z.string() }).optional(),
});

export const CLOUD_BUILD = fields({
  steps: z.array(STEP).min(1),
  timeout: duration.optional(),
  queueTtl: duration.optional(),
  substitutions: textMap,
  options: OPTIONS.optional(),
  images: texts,
  artifacts: fields({
    objects: fields({ location: text, paths: texts }).optional(),
    mavenArtifacts: z
      .array(fields({ repository: text, path: text, artifactId: text, groupId: text, version: text }))
      .optional(),
    pythonPackages: z.array(fields({ repository: text, paths: texts })).optional(),
    npmPackages: z.array(fields({ repository: text, packagePath: text })).optional(),
  }).optional(),
  availableSecrets: fields({
    secretManager: z.array(fields({ versionName: z.string(), env: z.string() })).optional(),
    inline: z.array(fields({ kmsKeyName: text, envMap: textMap })).optional(),
  }).optional(),
  serviceAccount: text,
  logsBucket: text,
  tags: texts,
});

export type BuildConfig = z.infer<typeof CLOUD_BUILD>;
export type BuildStep = z.infer<typeof STEP>;

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
