export { LOCAL_PROJECT, runAppHost, serviceAccountEmail } from './cloud-names.ts';
export { CloudRunFront, type Decision, type Source } from './cloud-run-front.ts';
export { compileCacheEnv } from './compile-cache.ts';
export { type IdTokenClaims, ISSUER, TokenIssuer } from './identity.ts';
export { type LocalMesh, type LocalMeshOptions, startLocalMesh } from './mesh.ts';
export { startMetadataServer } from './metadata-server.ts';
export { Router } from './router.ts';
export { type HopEvent, startSidecar } from './sidecar.ts';
export { unsupportedFields } from './unsupported.ts';
