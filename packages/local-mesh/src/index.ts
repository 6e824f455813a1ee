// What `pnpm bench` drives: the whole local mesh, started in-process. Nothing else imports it.
export { compileCacheEnv } from './compile-cache.ts';
export { CLOUD_RUN_HEAP, CLOUD_RUN_INSTANCE_MEMORY } from './instance-heap.ts';
export { type LocalMesh, type LocalMeshOptions, startLocalMesh } from './mesh.ts';
export { freePort, saysListeningOn } from './ports.ts';
