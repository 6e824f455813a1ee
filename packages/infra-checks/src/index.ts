export { Findings } from './errors.ts';
export { CHECK_VARIABLES, checkTerraform, loadModule, Plan, terraformFmtCheck } from './terraform/index.ts';
