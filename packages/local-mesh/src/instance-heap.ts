/**
 * The memory of each service's Cloud Run instance: var.memory's default in
 * infra/terraform/variables.tf (test/instance-heap.test.ts holds the two together).
 */
export const CLOUD_RUN_INSTANCE_MEMORY = '512Mi';

/**
 * V8's heap as Node sizes it inside that instance: Node derives the heap from the container's
 * memory limit, and these two flags give exactly the heap_size_limit it picks there (271581184
 * bytes, as node:22 reports under `docker run -m 512m`, denoland/deno#29077). On a machine with
 * more memory V8 sizes the heap for the machine: on 24 GB it grew each idle app's young
 * generation to 16 MB and would let it reach 192 MB under load — memory an instance never has.
 * The local mesh starts every app with them (decision 111), and `pnpm bench` the app alone.
 */
export const CLOUD_RUN_HEAP = ['--max-old-space-size=256', '--max-semi-space-size=1'];
