export { CHAIN_DEFAULTS, type ChainOptions, chainRoutes, type Mode, parseHops } from './chain.ts';
export { contextHeaders, DEFAULT_ROUTING_HEADERS, TRACE_HEADERS } from './context-headers.ts';
export { type Clock, DEADLINE_HEADER, Deadline, raceDeadline } from './deadline.ts';
export { getJson, type HopAnswer, type HopContext } from './get-json.ts';
export { type AllowList, checkHost, type HostCheck } from './hosts.ts';
export { IdTokens } from './id-tokens.ts';
export { callWithMesh } from './with-mesh.ts';
export { callWithoutMesh, callWithoutToken } from './without-mesh.ts';
