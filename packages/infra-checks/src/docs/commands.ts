import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DeployTarget, deployCommand, type PublicEntry } from '@meshapps/deploy';
import type { ConfigError, Topology } from '@meshapps/mesh-config';
import { Findings } from '../errors.ts';

/**
 * The commands the docs tell people to run must be the ones that work: a documented manual build
 * passes `_TAG` and never overrides the built-in COMMIT_SHA, and every `gcloud beta run deploy`
 * shown in docs/deploy.md is, flag for flag, what `pnpm deploy:commands` generates.
 */
export interface DocumentedCommand {
  file: string;
  line: number;
  text: string;
}

/** Files whose text (or comments) show commands: README, docs/**.md, the Cloud Build configs. */
function documentFiles(root: string): string[] {
  const docs = join(root, 'docs');
  const md = existsSync(docs)
    ? readdirSync(docs, { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.md'))
        .map((f) => join(docs, f))
    : [];
  const cloudbuild = join(root, 'infra', 'cloudbuild');
  const yaml = existsSync(cloudbuild)
    ? readdirSync(cloudbuild)
        .filter((f) => /\.ya?ml$/.test(f))
        .map((f) => join(cloudbuild, f))
    : [];
  return [join(root, 'README.md'), join(root, 'cloudbuild.yaml'), ...md, ...yaml]
    .filter((f) => existsSync(f))
    .sort();
}

/**
 * Shell commands starting with `start` in a file, backslash continuations joined (also inside
 * `#` comment blocks, as in cloudbuild.yaml's header). A mention without a single flag (a
 * heading, prose) is no command. `fencedOnly`: only inside Markdown code fences.
 */
export function commandsIn(file: string, start: string, fencedOnly = false): DocumentedCommand[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const out: DocumentedCommand[] = [];
  let fenced = false;
  for (let i = 0; i < lines.length; i++) {
    const first = lines[i] ?? '';
    if (/^\s*```/.test(first)) fenced = !fenced;
    const at = first.indexOf(start);
    if (at < 0 || (fencedOnly && !fenced)) continue;
    let text = first.slice(at);
    let j = i;
    while (/\\\s*$/.test(text) && j + 1 < lines.length) {
      j++;
      text = `${text.replace(/\\\s*$/, ' ')}${(lines[j] ?? '').replace(/^\s*#?\s*/, '')}`;
    }
    text = text.replace(/`.*$/, '').replace(/\s+/g, ' ').trim();
    if (text.includes(' --')) out.push({ file, line: i + 1, text });
  }
  return out;
}

export function checkDocumentedCommands(root: string, topology: Topology): ConfigError[] {
  const findings = new Findings(root);
  for (const file of documentFiles(root)) checkManualBuilds(findings, file);
  checkDeployCommands(findings, join(root, 'docs', 'deploy.md'), topology);
  return findings.errors;
}

/** `gcloud builds submit` of cloudbuild.yaml: `_TAG=…`, never `COMMIT_SHA=…`. */
function checkManualBuilds(findings: Findings, file: string): void {
  for (const cmd of commandsIn(file, 'gcloud builds submit')) {
    const at = `line ${cmd.line}`;
    findings.expect(
      !/\bCOMMIT_SHA=/.test(cmd.text),
      file,
      at,
      `a manual build overrides the built-in COMMIT_SHA (${cmd.text}): pass --substitutions=_TAG=$(git rev-parse HEAD) instead`,
    );
    const config = /--config[= ](\S+)/.exec(cmd.text)?.[1] ?? 'cloudbuild.yaml';
    if (config.endsWith('cloudbuild.yaml') && !config.includes('infra/')) {
      findings.expect(
        /\b_TAG=/.test(cmd.text),
        file,
        at,
        `a manual build of cloudbuild.yaml without _TAG= (${cmd.text}): only triggers set it (to the commit)`,
      );
    }
  }
}

/**
 * Each `gcloud beta run deploy SERVICE …` in the deploy guide against the generated command for
 * SERVICE with the values the documented command names (project, region, image, network…).
 */
function checkDeployCommands(findings: Findings, file: string, topology: Topology): void {
  if (!existsSync(file)) return;
  const documented = commandsIn(file, 'gcloud beta run deploy ', true);
  findings.expect(
    documented.length > 0,
    file,
    '(document)',
    'shows no `gcloud beta run deploy` command: show what pnpm deploy:commands generates',
  );
  for (const cmd of documented) {
    const argv = cmd.text.split(/\s+/);
    const service = topology.services.find((s) => s.name === argv[4]);
    const at = `line ${cmd.line}`;
    if (!service) {
      findings.add(file, at, `deploys "${argv[4]}", which is not a topology service`);
      continue;
    }
    const generated = deployCommand(topology, service, targetOf(argv));
    const shown = argv.join(' ');
    findings.expect(
      shown === generated.join(' '),
      file,
      at,
      `differs from what pnpm deploy:commands generates for ${service.name}:\n    shown:     ${shown}\n    generated: ${generated.join(' ')}`,
    );
  }
}

/** The deploy target a documented command was generated for, read back from its own flags. */
function targetOf(argv: readonly string[]): DeployTarget {
  const flag = (name: string) =>
    argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? `(no --${name})`;
  // REGION-docker.pkg.dev/PROJECT/REPOSITORY/APP:TAG
  const image = /^[^/]+\/[^/]+\/([^/]+)\/[^:]+:(.+)$/.exec(flag('image'));
  const publicEntry: PublicEntry = argv.includes('--no-invoker-iam-check')
    ? 'invoker_iam_disabled'
    : 'all_users';
  return {
    project: flag('project'),
    region: flag('region'),
    repository: image?.[1] ?? '(no --image)',
    tag: image?.[2] ?? '(no --image)',
    network: flag('network'),
    subnet: flag('subnet'),
    publicEntry,
  };
}
