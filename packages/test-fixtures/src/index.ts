// Loopback fixtures shared by the tests of packages/* and apps/*, imported as
// `@meshapps/test-fixtures` (a devDependency of each package whose tests use them). undici is
// re-exported so those tests need no dependency of their own on it.
export { Agent, type Dispatcher, getGlobalDispatcher, request } from 'undici';
export { type MappedAgent, mappedAgent, type PortLookup } from './dispatchers.ts';
export { type ForwardingProxy, startForwardingProxy } from './forwarding-proxy.ts';
export { asPathSegment, HOSTILE_MESH_HOSTS, HOSTILE_RUN_APP_HOSTS } from './hostile-hosts.ts';
export { decodeJwtPayload, TEST_SERVICE_ACCOUNT, withClaims } from './jwt.ts';
export {
  type MetadataServer,
  runAppHost,
  startMetadataServer,
  TEST_PROJECT_NUMBER,
  TEST_REGION,
  useMetadataServer,
} from './metadata-server.ts';
export { connectOutcome, listeningAddresses, nonLoopbackAddresses } from './network.ts';
export { until } from './polling.ts';
export {
  type AppProcess,
  type CommandRun,
  REPO_ROOT,
  runCommand,
  runSourceCli,
  type SpawnOptions,
  spawnApp,
} from './processes.ts';
export {
  CLOUD_RUN_403_HTML,
  Cleanup,
  closedPort,
  type HttpStub,
  json,
  listen,
  resetMidBody,
  type SeenRequest,
  startHttpStub,
  startTcpStub,
  type TcpStub,
} from './servers.ts';
export { startTlsStub, type TlsStub } from './tls-server.ts';
