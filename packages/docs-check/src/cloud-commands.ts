import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DeployTarget, deployCommands } from '@meshapps/deploy';
import { loadModule, Plan } from '@meshapps/infra-checks';
import { loadTopology, REPO_ROOT, TOPOLOGY_FILE } from '@meshapps/mesh-config';
import { parse as parseYaml } from 'yaml';
import { stepsOf } from './console-block.ts';
import type { MarkdownDoc } from './markdown.ts';
import { flagValue, simpleCommands } from './shell-words.ts';

/**
 * The cloud half of the guide must be what the repository really runs: a command shown for
 * Google Cloud is compared with what `pnpm deploy:commands`, the Terraform outputs and route CD
 * (infra/cloudbuild/import-routes.sh) produce, and every file, script, output and API it names
 * must exist. Nothing here talks to Google Cloud.
 */

export interface DocCommand {
  file: string;
  line: number;
  text: string;
}

const SHELL_INFO = new Set(['sh', 'bash', 'shell']);

/** Continuation lines joined, a trailing ` # comment` dropped. */
const oneLine = (command: string) => command.replace(/\\\n\s*/g, ' ').replace(/\s+#\s[^'"]*$/, '');

/** Every command a reader may type or see echoed, outside pending blocks. */
export function commandsOf(doc: MarkdownDoc): DocCommand[] {
  const out: DocCommand[] = [];
  for (const fence of doc.fences) {
    if (fence.kind === 'pending' || fence.kind === 'quote') continue;
    if (fence.info === 'console' && (fence.kind === 'runnable' || fence.kind === 'cloud')) {
      for (const step of stepsOf(fence)) {
        out.push({ file: doc.file, line: step.line, text: oneLine(step.command) });
        step.expected.forEach((l, i) => {
          // Commands the tools echo before running them (deploy script, import-routes.sh).
          const echoed = /^\+ (gcloud .*)$/.exec(l) ?? /^(gcloud beta run deploy .*)$/.exec(l);
          if (echoed) out.push({ file: doc.file, line: step.line + 1 + i, text: echoed[1] as string });
        });
      }
    } else if (SHELL_INFO.has(fence.info)) {
      let pending = '';
      fence.body.forEach((l, i) => {
        pending += pending ? `\n${l}` : l;
        if (l.endsWith('\\')) return;
        const text = oneLine(pending).trim();
        pending = '';
        if (text && !text.startsWith('#')) out.push({ file: doc.file, line: fence.line + 1 + i, text });
      });
    }
  }
  return out;
}

export interface CloudFacts {
  outputs: Set<string>;
  scripts: Set<string>;
  routeImports: (project: string) => Promise<string[]>;
  apis: string[];
}

const BOOTSTRAP_APIS = ['cloudresourcemanager.googleapis.com', 'serviceusage.googleapis.com'];

/** What the repository defines, read once: Terraform outputs and APIs, pnpm scripts. */
export async function cloudFacts(root = REPO_ROOT): Promise<CloudFacts> {
  const tfDir = join(root, 'infra', 'terraform');
  const mod = await loadModule(tfDir);
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const apisTf = readFileSync(join(tfDir, 'apis.tf'), 'utf8');
  const cache = new Map<string, string[]>();
  return {
    outputs: new Set(mod.outputs.keys()),
    scripts: new Set(Object.keys(pkg.scripts ?? {})),
    apis: [...apisTf.matchAll(/"([a-z0-9]+\.googleapis\.com)"/g)].map((m) => m[1] as string),
    routeImports: async (project) => {
      const known = cache.get(project);
      if (known) return known;
      const plan = new Plan(mod, { project_id: project, participants: [] });
      const value = plan.evaluator.value(mod.outputs.get('route_import_commands')?.value, new Map());
      const list = (Array.isArray(value) ? value : []).map(String);
      cache.set(project, list);
      return list;
    },
  };
}

/**
 * The commands route CD runs, with `gcloud` stood in for: routes:render writes the files and the
 * list, import-routes.sh echoes one `+ gcloud … import` per route.
 */
export function routeCdCommands(project: string, outDir = '.meshapps/routes', root = REPO_ROOT): string[] {
  const tmp = mkdtempSync(join(tmpdir(), 'meshapps-route-cd-'));
  try {
    const render = spawnSync(
      process.execPath,
      [
        '--conditions=source',
        'packages/mesh-config/src/routes-render.ts',
        '--project',
        project,
        '--out',
        join(tmp, 'routes'),
      ],
      { cwd: root, encoding: 'utf8' },
    );
    if (render.status !== 0) throw new Error(`routes:render failed: ${render.stderr}`);
    writeFileSync(join(tmp, 'routes.tsv'), render.stdout);
    writeFileSync(join(tmp, 'gcloud'), '#!/usr/bin/env bash\nexit 0\n');
    chmodSync(join(tmp, 'gcloud'), 0o755);
    const run = spawnSync('bash', ['infra/cloudbuild/import-routes.sh', join(tmp, 'routes.tsv'), project], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, PATH: `${tmp}:${process.env.PATH ?? ''}` },
    });
    if (run.status !== 0) throw new Error(`import-routes.sh failed: ${run.stderr}`);
    return run.stdout
      .split('\n')
      .filter((l) => l.startsWith('+ '))
      .map((l) => l.slice(2).replaceAll(join(tmp, 'routes'), outDir));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function deployProblem(words: string[]): string | undefined {
  const service = words[4] as string;
  const topology = loadTopology(TOPOLOGY_FILE);
  const image = flagValue(words, 'image') ?? '';
  const m = /^([a-z0-9-]+)-docker\.pkg\.dev\/([^/]+)\/([^/]+)\/[^:]+:(.+)$/.exec(image);
  if (!m)
    return `gcloud beta run deploy ${service}: image "${image}" is not REGION-docker.pkg.dev/PROJECT/REPO/APP:TAG`;
  const target: DeployTarget = {
    region: flagValue(words, 'region') ?? (m[1] as string),
    project: flagValue(words, 'project') ?? (m[2] as string),
    repository: m[3] as string,
    tag: m[4] as string,
    network: flagValue(words, 'network') ?? 'meshapps-vpc',
    subnet: flagValue(words, 'subnet') ?? 'meshapps-subnet',
    // The entry's access flag says which `public_entry` the command was generated for.
    publicEntry: words.includes('--no-invoker-iam-check') ? 'invoker_iam_disabled' : 'all_users',
  };
  const generated = deployCommands(topology, target).find((argv) => argv[4] === service);
  if (!generated) return `gcloud beta run deploy ${service}: no such service in infra/topology.yaml`;
  if (generated.join(' ') !== words.join(' '))
    return `gcloud beta run deploy ${service} differs from pnpm deploy:commands:\n  docs:      ${words.join(' ')}\n  generated: ${generated.join(' ')}`;
  return undefined;
}

function buildConfigProblems(words: string[], root: string): string[] {
  const config = flagValue(words, 'config') ?? flagValue(words, 'build-config');
  if (!config) return [];
  const file = join(root, config);
  if (!existsSync(file)) return [`${config} does not exist`];
  const text = readFileSync(file, 'utf8');
  const declared = Object.keys((parseYaml(text) as { substitutions?: object })?.substitutions ?? {});
  const problems: string[] = [];
  for (const pair of (flagValue(words, 'substitutions') ?? '').split(',').filter(Boolean)) {
    const key = pair.split('=')[0] as string;
    const used = new RegExp(`\\$\\{?${key}\\b`).test(text);
    if (!declared.includes(key) && !used)
      problems.push(`${config} neither declares nor uses substitution ${key}`);
  }
  for (const flag of ['included-files', 'ignored-files']) {
    for (const glob of (flagValue(words, flag) ?? '').split(',').filter(Boolean)) {
      const dir = glob.split('*')[0]?.replace(/\/$/, '') ?? '';
      if (dir && !existsSync(join(root, dir))) problems.push(`--${flag}=${glob}: ${dir} does not exist`);
    }
  }
  return problems;
}

const PNPM_BUILTINS = new Set(['install', 'i', 'add', 'exec', 'dlx', 'run', 'store', 'why', 'list', 'ls']);
/** pnpm options that take a value before the script name. */
const PNPM_VALUE_OPTIONS = new Set(['--filter', '-F', '--dir', '-C']);

function pnpmScript(words: string[]): string | undefined {
  for (let i = 1; i < words.length; i++) {
    const w = words[i] as string;
    if (PNPM_VALUE_OPTIONS.has(w)) i++;
    else if (!w.startsWith('-')) return w;
  }
  return undefined;
}

/** What is wrong with one command, if anything. */
export async function commandProblems(
  cmd: DocCommand,
  facts: CloudFacts,
  root = REPO_ROOT,
): Promise<string[]> {
  const where = `${cmd.file}:${cmd.line}`;
  const problems: string[] = [];
  for (const m of cmd.text.matchAll(
    /terraform\s+-chdir=infra\/terraform\s+output\s+(?:-raw\s+|-json\s+)?([A-Za-z0-9_]+)/g,
  )) {
    if (!facts.outputs.has(m[1] as string))
      problems.push(`terraform output ${m[1]} is not defined in infra/terraform`);
  }
  for (const words of simpleCommands(cmd.text)) {
    const [w0, w1, w2, w3] = words;
    if (w0 === 'gcloud' && w1 === 'beta' && w2 === 'run' && w3 === 'deploy') {
      const p = deployProblem(words);
      if (p) problems.push(p);
    } else if (w0 === 'gcloud' && w1 === 'network-services' && w2 === 'http-routes' && w3 === 'import') {
      const project = flagValue(words, 'project');
      const known = project ? await facts.routeImports(project) : [];
      if (!known.includes(words.join(' ')))
        problems.push(
          `this route import is not one of terraform output route_import_commands${project ? ` for ${project}` : ' (no --project)'}:\n  docs: ${words.join(' ')}${known[1] ? `\n  e.g.: ${known[1]}` : ''}`,
        );
    } else if (
      w0 === 'gcloud' &&
      w1 === 'builds' &&
      (w2 === 'submit' || (w2 === 'triggers' && w3 === 'create'))
    ) {
      problems.push(...buildConfigProblems(words, root));
    } else if (w0 === 'pnpm') {
      const script = pnpmScript(words);
      if (
        script &&
        !facts.scripts.has(script) &&
        !PNPM_BUILTINS.has(script) &&
        !existsSync(join(root, 'node_modules', '.bin', script))
      )
        problems.push(`pnpm ${script}: no such script in package.json`);
    } else if (
      (w0 === 'bash' || w0 === '.' || w0 === 'source') &&
      w1 &&
      !w1.startsWith('-') &&
      !w1.startsWith('$')
    ) {
      // ~/cloudshell_open/<repo>/… is the clone where Cloud Shell puts this repository.
      const inClone = w1.replace(/^~\/cloudshell_open\/[^/]+\//, '');
      if (!existsSync(join(root, inClone))) problems.push(`${w1} does not exist`);
    }
  }
  return problems.map((p) => `${where}: ${p}`);
}

/** `<walkthrough-enable-apis apis="…">` must list what Terraform enables, plus its bootstrap APIs. */
export function enableApisProblems(doc: MarkdownDoc, facts: CloudFacts): string[] {
  const problems: string[] = [];
  // The button works only when the tutorial runs inside the console: the same list as a command.
  const wanted = [...new Set([...facts.apis, ...BOOTSTRAP_APIS])].sort().join(' ');
  const enables = commandsOf(doc)
    .flatMap((c) => simpleCommands(c.text).map((words) => ({ c, words })))
    .filter(({ words }) => words[0] === 'gcloud' && words[1] === 'services' && words[2] === 'enable');
  const hasButton = doc.lines.some((l) => l.includes('<walkthrough-enable-apis'));
  if (hasButton && !enables.some(({ words }) => words.slice(3).sort().join(' ') === wanted))
    problems.push(
      `${doc.file}: beside <walkthrough-enable-apis>, a \`gcloud services enable\` of the same APIs (${wanted}) for a tutorial opened outside the console`,
    );
  doc.lines.forEach((line, i) => {
    for (const m of line.matchAll(/<walkthrough-enable-apis apis="([^"]*)">/g)) {
      const listed = (m[1] as string).split(',').map((s) => s.trim());
      const wanted = [...new Set([...facts.apis, ...BOOTSTRAP_APIS])].sort();
      if (listed.slice().sort().join(',') !== wanted.join(','))
        problems.push(
          `${doc.file}:${i + 1}: walkthrough-enable-apis lists ${listed.join(',')}; infra/terraform/apis.tf and the bootstrap APIs are ${wanted.join(',')}`,
        );
    }
  });
  return problems;
}

/** Every cloud-command problem in the given documents. */
export async function cloudCommandProblems(docs: MarkdownDoc[], root = REPO_ROOT): Promise<string[]> {
  const facts = await cloudFacts(root);
  const problems: string[] = [];
  for (const doc of docs) {
    for (const cmd of commandsOf(doc)) problems.push(...(await commandProblems(cmd, facts, root)));
    problems.push(...enableApisProblems(doc, facts));
  }
  return problems;
}
