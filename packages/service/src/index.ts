export { type CloudRunEnv, readCloudRunEnv } from './cloud-run-env.ts';
export { createService, type ServiceOptions } from './create-service.ts';
export { type ErrorBody, HopError, parseErrorBody } from './errors.ts';
export { failureSchedule, readFailPercent, refuseToStart } from './fail-percent.ts';
export { closeGracefully, type ShutdownOptions } from './graceful-shutdown.ts';
export { createLogger, type LoggerConfig } from './logger.ts';
export { CENSOR, redactLine, SECRET_KEYS } from './redact.ts';
export { type RunServiceOptions, runService } from './run-service.ts';
