import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { INFRA_DIR } from '@meshapps/mesh-config';
import { describe, expect, it } from 'vitest';
import { CLOUD_RUN_HEAP, CLOUD_RUN_INSTANCE_MEMORY } from '../src/instance-heap.ts';
import { APP_ARGS } from '../src/start-apps.ts';

describe("every app's V8 heap is sized as in its Cloud Run instance", () => {
  it('for the memory Terraform gives the instances (var.memory): change one, re-derive the other', () => {
    const variables = readFileSync(join(INFRA_DIR, 'terraform', 'variables.tf'), 'utf8');
    const memory = /variable "memory" \{[^}]*?default\s*=\s*"([^"]+)"/s.exec(variables)?.[1];
    expect(memory).toBe(CLOUD_RUN_INSTANCE_MEMORY);
    expect(CLOUD_RUN_HEAP).toEqual(['--max-old-space-size=256', '--max-semi-space-size=1']);
  });

  it('the local mesh starts each app with those flags, before its entry', () => {
    const entry = APP_ARGS.indexOf('src/main.ts');
    for (const flag of CLOUD_RUN_HEAP) {
      expect(APP_ARGS.indexOf(flag)).toBeGreaterThanOrEqual(0);
      expect(APP_ARGS.indexOf(flag)).toBeLessThan(entry);
    }
  });
});
