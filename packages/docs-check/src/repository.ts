import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@meshapps/mesh-config';

/** The published repository, as package.json's `repository.url` names it. */
export interface Repository {
  /** Without `git+` and `.git`: https://github.com/<owner>/<name>; '' when package.json has none. */
  url: string;
  /** The part of its path before the name ('' when there is none). */
  owner: string;
  /** The last part of its path, which Cloud Shell names the clone after: ~/cloudshell_open/<name>. */
  name: string;
}

/**
 * One reading of `repository.url` for the tutorial's links, the Open in Cloud Shell buttons, the
 * pictures' address and the clone's name.
 */
export function repository(root = REPO_ROOT): Repository {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const url = String(pkg.repository?.url ?? '')
    .replace(/^git\+/, '')
    .replace(/\.git$/, '');
  const [, owner = '', name = ''] = /([^/:]+)\/([^/]+)$/.exec(url) ?? [];
  return { url, owner, name };
}
