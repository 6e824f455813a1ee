export { type CheckReport, checkAll } from './check-all.ts';
export { buildConfigFiles, checkCloudBuild } from './cloudbuild/check.ts';
export { checkConsistency } from './consistency.ts';
export { copyContext } from './docker/context.ts';
export { replayBuild, startApp } from './docker/replay.ts';
export { checkDocumentedCommands } from './docs/commands.ts';
export { Findings } from './errors.ts';
export { checkRenderedRoutes } from './routes/check.ts';
export {
  CHECK_VARIABLES,
  checkTerraform,
  findTerraform,
  loadModule,
  Plan,
  planTerraform,
  terraformFmtCheck,
} from './terraform/index.ts';
