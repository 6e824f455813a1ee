import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@meshapps/mesh-config';
import { stepsOf } from './console-block.ts';
import type { Fence, MarkdownDoc } from './markdown.ts';
import { repository } from './repository.ts';
import { CLOUD_SHELL_VARIABLES } from './session.ts';
import { simpleCommands, variablesRead, variablesSet } from './shell-words.ts';

/**
 * The guide as a participant in Cloud Shell lives it, checked without running anything: which tab
 * each block is pasted into, what that tab has (Node 24 and pnpm? the clone? which variables?),
 * what a paste does with an interactive command, and what a participant would have to type in.
 * Run blocks are also executed that way (session.ts, run-blocks.ts); this covers every block,
 * the Google Cloud ones included.
 */

/** The script every tab sources first (workshop-env.sh at the repository root). */
export const SETUP_SCRIPT = 'workshop-env.sh';

/** The repository's name (the clone is ~/cloudshell_open/<name>), from package.json's repository.url. */
export function repoName(root = REPO_ROOT): string {
  const { name } = repository(root);
  if (!name) throw new Error('package.json: no repository.url to name the Cloud Shell clone after');
  return name;
}

/** `source ~/cloudshell_open/<repo>/workshop-env.sh`: the one line that begins every tab. */
export function setupLine(root = REPO_ROOT): string {
  return `source ~/cloudshell_open/${repoName(root)}/${SETUP_SCRIPT}`;
}

/** The variables the setup script sets (its `export NAME=…` lines). */
export function setupVariables(root = REPO_ROOT): string[] {
  return readFileSync(join(root, SETUP_SCRIPT), 'utf8')
    .split('\n')
    .filter((l) => !l.trimStart().startsWith('#'))
    .flatMap((l) => variablesSet(l));
}

/** bash's own parameters a command may read anywhere. */
const BASH_VARIABLES = ['RANDOM', 'SECONDS', 'UID', 'EUID', 'PPID', 'REPLY', 'IFS', 'OPTARG', 'BASH_SOURCE'];

/** Text a participant would have to replace before running the command. */
const PLACEHOLDERS: { pattern: RegExp; what: string }[] = [
  { pattern: /\bOWNER\b/, what: 'OWNER' },
  { pattern: /\bREPO\b/, what: 'REPO' },
  { pattern: /\bPORT\b/, what: 'PORT' },
  // YOUR_PROJECT_ID is the one exception: the tutorial turns it into {{project-id}}, which Cloud
  // Shell fills in with the project picked in <walkthrough-project-setup>.
  { pattern: /\bYOUR_(?!PROJECT_ID\b)[A-Z0-9_]+\b/, what: 'YOUR_…' },
  { pattern: /[\w.+-]+@example\.(?:com|org|net)\b/, what: 'an example e-mail address' },
  { pattern: /<[a-z][a-z0-9 _-]*>/, what: '<…>' },
];

export function placeholderIn(command: string): string | undefined {
  for (const { pattern, what } of PLACEHOLDERS) {
    const m = pattern.exec(command);
    if (m) return `${m[0]} (${what})`;
  }
  return undefined;
}

/**
 * Why a command reads the terminal (a prompt, a code to paste, `yes`), if it does: pasted with
 * other lines after it, it would take them as its answers.
 */
export function interactiveReason(words: string[]): string | undefined {
  const [w0, w1, w2] = words;
  const has = (...flags: string[]) => words.some((w) => flags.some((f) => w === f || w.startsWith(`${f}=`)));
  if (w0 === 'gcloud' && w1 === 'auth' && w2 === 'application-default' && words[3] === 'login')
    return 'it waits for a sign-in in the browser and a code pasted back';
  if (w0 === 'gcloud' && w1 === 'auth' && w2 === 'login') return 'it waits for a sign-in in the browser';
  if (w0 === 'gcloud' && w1 === 'init') return 'it asks questions';
  if (w0 === 'gcloud' && words.includes('delete') && !has('--quiet', '-q'))
    return 'gcloud asks to confirm a delete';
  if (
    w0 === 'terraform' &&
    words.some((w) => w === 'apply' || w === 'destroy') &&
    !has('-auto-approve', '--auto-approve')
  )
    return 'Terraform asks for "yes"';
  if (w0 === 'read') return 'it reads a line typed in';
  if (w0 === 'git' && w1 === 'push') return 'git may ask for a user name and a token';
  if (w0 === 'gh' && w1 === 'auth') return 'it asks questions';
  if (['vi', 'vim', 'nano', 'less', 'more', 'top', 'ssh', 'passwd'].includes(w0 ?? ''))
    return 'it takes over the terminal';
  return undefined;
}

export interface CopyCommand {
  text: string;
  /** 1-based line in the Markdown file. */
  line: number;
}

/** What the tutorial offers as one copy button: commands, then the output shown under them. */
export interface CopyGroup {
  commands: CopyCommand[];
  output: string[];
}

const SHELL_INFO = new Set(['sh', 'bash', 'shell']);

/**
 * A block as copy buttons. In a console block, commands without output stay together and an
 * output closes the group (the tutorial renders each group as one `bash` block); a shell block is
 * one group. Pending blocks and other fences offer nothing to copy.
 */
export function copyableGroups(fence: Fence): CopyGroup[] {
  if (fence.kind === 'pending' || fence.kind === 'quote') return [];
  if (fence.info === 'console' && (fence.kind === 'runnable' || fence.kind === 'cloud')) {
    const groups: CopyGroup[] = [];
    let commands: CopyCommand[] = [];
    for (const step of stepsOf(fence)) {
      commands.push({ text: step.command, line: step.line });
      if (step.expected.length === 0) continue;
      groups.push({ commands, output: step.expected });
      commands = [];
    }
    if (commands.length > 0) groups.push({ commands, output: [] });
    return groups;
  }
  if (!SHELL_INFO.has(fence.info)) return [];
  const commands: CopyCommand[] = [];
  let pending = '';
  let start = 0;
  fence.body.forEach((l, i) => {
    if (!pending) start = fence.line + 1 + i;
    pending += pending ? `\n${l}` : l;
    if (l.endsWith('\\')) return;
    if (pending.trim() && !pending.trim().startsWith('#')) commands.push({ text: pending, line: start });
    pending = '';
  });
  return commands.length > 0 ? [{ commands, output: [] }] : [];
}

/** The tab a block is pasted into (`<!-- tab: N -->`, else the first). */
export const tabOf = (fence: Fence) => {
  const m = fence.markers.find((x) => x.kind === 'tab');
  return m?.kind === 'tab' ? m.tab : 1;
};
export const reconnectsBefore = (fence: Fence) => fence.markers.some((m) => m.kind === 'reconnect');

const TOOLCHAIN_COMMANDS = new Set(['pnpm', 'node', 'npx', 'corepack']);

/** A word that names a file of the repository by a relative path: the command needs the clone. */
function namesRepoPath(word: string, root: string): boolean {
  for (const candidate of [word, word.slice(word.indexOf('=') + 1)]) {
    if (!/^[A-Za-z0-9_.][\w.-]*\/[\w./*-]*$/.test(candidate)) continue;
    const path = candidate.split('*')[0]?.replace(/\/$/, '') ?? '';
    if (path && existsSync(join(root, path))) return true;
  }
  return false;
}

interface TabModel {
  toolchain: boolean;
  inClone: boolean;
  /** Variable → where it was set. */
  vars: Map<string, string>;
  opened: string;
}

/** The steps of the tutorial: each `#` or `##` heading starts one. */
function stepOf(doc: MarkdownDoc, line: number): string {
  const heading = doc.headings.filter((h) => h.level <= 2 && h.line < line).at(-1);
  return `${doc.file}:${heading?.line ?? 0}`;
}

/**
 * Every problem a participant would meet pasting the blocks of one language's chapters in order.
 * Two passes: the journey as written (tabs opened, a reconnect where the guide has its step), and
 * each step on its own as if the session had been lost just before it (the reconnect step then
 * restores only what the setup line sets).
 */
export function participantProblems(chapters: MarkdownDoc[], root = REPO_ROOT): string[] {
  const setup = setupLine(root);
  const fromSetup = setupVariables(root);
  const always = new Set([...CLOUD_SHELL_VARIABLES, ...BASH_VARIABLES]);
  const problems: string[] = [];
  const reported = new Set<string>();
  const report = (where: string, key: string, text: string) => {
    if (reported.has(key)) return;
    reported.add(key);
    problems.push(`${where}: ${text}`);
  };

  // Pass 1: the journey as written.
  const tabs = new Map<number, TabModel>();
  // Pass 2: each step from a reconnect: per tab, the variables set so far in this step.
  let step = '';
  let stepVars = new Map<number, Set<string>>();

  for (const doc of chapters) {
    for (const fence of doc.fences) {
      const groups = copyableGroups(fence);
      if (groups.length === 0) continue;
      const tab = tabOf(fence);
      const first = groups[0]?.commands[0];
      const here = `${doc.file}:${first?.line ?? fence.line}`;
      if (reconnectsBefore(fence)) tabs.clear();
      if (!tabs.has(tab)) {
        tabs.set(tab, { toolchain: false, inClone: false, vars: new Map(), opened: here });
        if (first?.text.trim() !== setup)
          report(
            here,
            `${here}:setup`,
            `this block starts ${tab === 1 && !reconnectsBefore(fence) ? 'the first tab' : `a new tab (${tab})`}${reconnectsBefore(fence) ? ' after a reconnect' : ''}, which opens in $HOME with Cloud Shell's own Node and no pnpm: its first line must be \`${setup}\``,
          );
      }
      const model = tabs.get(tab) as TabModel;
      const thisStep = stepOf(doc, fence.line);
      if (thisStep !== step) {
        step = thisStep;
        stepVars = new Map();
      }
      const inStep = stepVars.get(tab) ?? new Set<string>();
      stepVars.set(tab, inStep);

      for (const group of groups) {
        group.commands.forEach((cmd, i) => {
          const where = `${doc.file}:${cmd.line}`;
          const text = cmd.text.trim();
          const placeholder = placeholderIn(text);
          if (placeholder)
            report(
              where,
              `${where}:ph`,
              `a placeholder in a command to copy: ${placeholder}; get the value from a command (gcloud config get-value …, terraform output, git remote) instead`,
            );
          const commands = simpleCommands(text);
          for (const words of commands) {
            const why = interactiveReason(words);
            const last = i === group.commands.length - 1;
            if (why && !last)
              report(
                where,
                `${where}:tty`,
                `\`${words.slice(0, 4).join(' ')}\` reads the terminal (${why}), so pasted with the lines below it, it would take them as its answers: end the copy block with it, or give it a block of its own`,
              );
            if (words[0] === 'pnpm' && words[1] === 'start' && !last)
              report(
                where,
                `${where}:start`,
                '`pnpm start` runs until Ctrl-C: it must be the last command of its block',
              );
          }
          if (text === setup) {
            model.toolchain = true;
            model.inClone = true;
            for (const v of fromSetup) {
              model.vars.set(v, where);
              inStep.add(v);
            }
            return;
          }
          const setHere = new Set(variablesSet(text));
          for (const v of new Set(variablesRead(text))) {
            if (always.has(v) || setHere.has(v)) continue;
            if (!model.vars.has(v))
              report(
                where,
                `${where}:${v}`,
                `$${v} is not set in this tab (tab ${tab}, opened at ${model.opened}): set it in this step, or add it to ${SETUP_SCRIPT}`,
              );
            else if (!inStep.has(v) && !fromSetup.includes(v))
              report(
                where,
                `${where}:${v}`,
                `$${v} was set in an earlier step (${model.vars.get(v)}); after a reconnect before this step it is gone: set it in this step, or add it to ${SETUP_SCRIPT}`,
              );
          }
          for (const words of commands) {
            if (words[0] === 'cd') model.inClone = /^~\/cloudshell_open\/[^/]+\/?$/.test(words[1] ?? '');
            if (TOOLCHAIN_COMMANDS.has(words[0] ?? '') && !model.toolchain)
              report(
                where,
                `${where}:node`,
                `\`${words[0]}\` in a tab that has Cloud Shell's own Node and no pnpm: run \`${setup}\` in this tab first`,
              );
            else if (
              (words[0] === 'pnpm' || words[0] === 'git' || words.some((w) => namesRepoPath(w, root))) &&
              !model.inClone
            )
              report(
                where,
                `${where}:clone`,
                `\`${words.slice(0, 3).join(' ')}\` needs the clone as its directory, and this tab is elsewhere: run \`${setup}\` in this tab first`,
              );
          }
          for (const v of setHere) {
            model.vars.set(v, where);
            inStep.add(v);
          }
        });
      }
    }
  }
  return problems;
}
