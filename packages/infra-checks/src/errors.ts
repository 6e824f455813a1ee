import { relative } from 'node:path';
import type { ConfigError } from '@meshapps/mesh-config';

/** Collects findings as `file: path: message`, the format the mesh-config checks already use. */
export class Findings {
  readonly errors: ConfigError[] = [];
  private readonly root: string;
  constructor(root: string) {
    this.root = root;
  }

  add(file: string, path: string, message: string): void {
    this.errors.push({ file: relative(this.root, file) || file, path, message });
  }

  /** Adds a finding unless `ok`. */
  expect(ok: boolean, file: string, path: string, message: string): void {
    if (!ok) this.add(file, path, message);
  }
}
