// pnpm start: Node's compile cache first, then the CLI (cli.ts). Plain JavaScript on purpose:
// a TypeScript entry is stripped before any of its code runs, and stripping once loads Node's
// type stripper (a WebAssembly build of swc, ~25 MB resident) for good. With the cache on, a warm
// start reads every module, TypeScript included, from the cache and never loads it (decision 110).
// The same folder as the apps' (compile-cache.ts); NODE_COMPILE_CACHE and
// NODE_DISABLE_COMPILE_CACHE in the developer's environment win, as there.
import { enableCompileCache } from 'node:module';
import { fileURLToPath } from 'node:url';

if (!process.env.NODE_DISABLE_COMPILE_CACHE) {
  const directory =
    process.env.NODE_COMPILE_CACHE ||
    fileURLToPath(new URL('../../../.meshapps/compile-cache', import.meta.url));
  enableCompileCache(directory);
  // Inherited by the processes this one starts with its environment (the trace collector).
  process.env.NODE_COMPILE_CACHE = directory;
}
await import('./cli.ts');
