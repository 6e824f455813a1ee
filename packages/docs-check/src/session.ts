import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A participant's Cloud Shell, played on this machine: a home directory, the clone where "Open in
 * Cloud Shell" puts it (`~/cloudshell_open/<repo>`), and terminal tabs. Each tab is what the ＋
 * button opens — a login shell in `$HOME` with Cloud Shell's own (older) Node first on PATH and no
 * pnpm — and keeps what a terminal keeps between pastes: its variables (exported or not), its
 * directory, `$?`. A reconnect closes every tab.
 *
 * A paste runs as bash reads one: the lines go to the shell's standard input, so a command that
 * reads the terminal takes the lines pasted after it, as it would in Cloud Shell — and the
 * commands after it never run. Between pastes a tab is a saved `declare -p` (restored through
 * BASH_ENV), not a process: nothing waits on a shell that a command left reading.
 */

/** What a fresh tab has that the guide may rely on: the variables Cloud Shell sets. */
export const CLOUD_SHELL_VARIABLES = [
  'HOME',
  'USER',
  'LOGNAME',
  'PATH',
  'PWD',
  'OLDPWD',
  'SHELL',
  'LANG',
  'TERM',
  'GOOGLE_CLOUD_PROJECT',
  'DEVSHELL_PROJECT_ID',
  'CLOUD_SHELL',
];

/** The directories of a login shell's PATH, as Debian's /etc/profile sets it for root. */
const SYSTEM_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/**
 * Never saved from one paste to the next: bash's own variables (many are read-only or dynamic) and
 * the harness's (the trace viewer's port changes with every restart of the stack).
 */
const BASH_OWN =
  '^(MESHAPPS_TRACE_VIEWER|NO_COLOR|BASH.*|COLUMNS|COMP_WORDBREAKS|DIRSTACK|EPOCHREALTIME|EPOCHSECONDS|EUID|FUNCNAME|GROUPS|HISTCMD|HOSTNAME|HOSTTYPE|IFS|LINENO|LINES|MACHTYPE|OLDPWD|OPTERR|OPTIND|OSTYPE|PIPESTATUS|PPID|PS4|PWD|RANDOM|SECONDS|SHELLOPTS|SHLVL|SRANDOM|UID|_|__docs_.*)$';

const SEPARATOR = '\u001eDOCS-CHECK-STATUS';

export interface CommandRun {
  /** What the command printed on stdout. */
  stdout: string;
  stderr: string;
  /** Its exit status; null when it never ran (an earlier command read the rest of the paste). */
  status: number | null;
}

export interface PasteResult {
  commands: CommandRun[];
  /**
   * Set when fewer commands finished than were pasted: the index of the first that did not — it
   * read the lines pasted after it, or the shell stopped there.
   */
  unfinished?: number;
  /** What the shell itself printed (a syntax error once a command ate the closing lines). */
  shellStderr: string;
  timedOut: boolean;
}

/** A tab between pastes: the script that restores it, and `$?`; undefined means closed. */
export interface TabState {
  restore: string;
  status: number;
}

export type TabStates = Map<number, TabState>;

/** An older Node to play Cloud Shell's own: the system's, if it is older than 24. */
function olderNode(): string {
  for (const dir of SYSTEM_PATH) {
    const node = join(dir, 'node');
    if (!existsSync(node)) continue;
    const run = spawnSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' });
    const major = Number((run.stdout ?? '').split('.')[0]);
    if (major > 0 && major < 24) return node;
    throw new Error(
      `docs-check plays Cloud Shell with an older Node first on PATH, but ${node} is Node ${run.stdout.trim()}: a participant's fresh tab cannot be reproduced on this machine`,
    );
  }
  throw new Error(
    `docs-check plays Cloud Shell's own Node with the system's (older than 24), and found none in ${SYSTEM_PATH.join(', ')}: install Debian's nodejs package`,
  );
}

export interface SessionOptions {
  /** The repository's name as in package.json's repository.url: the clone is ~/cloudshell_open/<name>. */
  repoName: string;
}

export class Session {
  readonly home: string;
  readonly clone: string;
  /** The PATH of a fresh tab: Cloud Shell's own Node first, system directories, no pnpm. */
  readonly freshPath: string;
  readonly olderNode: string;
  tabs: TabStates = new Map();
  private readonly scratch: string;

  constructor(opts: SessionOptions) {
    this.home = realpathSync(mkdtempSync(join(tmpdir(), 'meshapps-docs-home-')));
    this.clone = join(this.home, 'cloudshell_open', opts.repoName);
    this.scratch = mkdtempSync(join(tmpdir(), 'meshapps-docs-tabs-'));
    this.olderNode = olderNode();
    const bin = join(this.scratch, 'cloudshell-bin');
    mkdirSync(bin);
    symlinkSync(this.olderNode, join(bin, 'node'));
    this.freshPath = [bin, ...SYSTEM_PATH].join(':');
    const pnpm = SYSTEM_PATH.map((d) => join(d, 'pnpm')).find((p) => existsSync(p));
    if (pnpm)
      throw new Error(
        `docs-check plays a Cloud Shell tab without pnpm, but ${pnpm} is installed system-wide`,
      );
  }

  /** The environment of a new tab, plus the harness's own variables (the trace viewer's port). */
  baseEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      HOME: this.home,
      USER: 'participant',
      LOGNAME: 'participant',
      SHELL: '/bin/bash',
      PATH: this.freshPath,
      LANG: 'C.UTF-8',
      TERM: 'dumb',
      NO_COLOR: '1',
      ...extra,
    };
  }

  isOpen(tab: number): boolean {
    return this.tabs.has(tab);
  }

  /** ＋: a new tab, a login shell in $HOME. */
  open(tab: number): void {
    this.tabs.set(tab, { restore: `cd -- ${JSON.stringify(this.home)}\n`, status: 0 });
  }

  /** The session ended (about an hour idle): every tab is gone. */
  reconnect(): void {
    this.tabs.clear();
  }

  snapshot(): TabStates {
    return new Map(this.tabs);
  }

  restoreSnapshot(tabs: TabStates): void {
    this.tabs = new Map(tabs);
  }

  /**
   * Pastes `commands` into tab `tab` (opened if needed) as one paste, each one's stdout, stderr and
   * status kept apart; the tab keeps what the paste left. `extraEnv` adds the harness's variables.
   */
  async paste(tab: number, commands: string[], extraEnv: Record<string, string> = {}, timeoutMs = 60_000) {
    if (!this.isOpen(tab)) this.open(tab);
    const state = this.tabs.get(tab) as TabState;
    const result = await pasteInto(commands, {
      scratch: this.scratch,
      cwd: this.home,
      env: this.baseEnv(extraEnv),
      state,
      timeoutMs,
    });
    if (result.state) this.tabs.set(tab, result.state);
    return result;
  }

  remove(): void {
    rmSync(this.scratch, { recursive: true, force: true });
    rmSync(this.home, { recursive: true, force: true });
  }
}

export interface PasteOptions {
  /** Where to keep the paste's files (stderr per command, the saved state). */
  scratch: string;
  /** Where bash starts; the state's `cd` line moves it. */
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** The shell as the previous paste left it. */
  state: TabState;
  timeoutMs: number;
}

/** One paste into a shell in `state`; the result carries the state it leaves (if it got that far). */
export async function pasteInto(
  commands: string[],
  opts: PasteOptions,
): Promise<PasteResult & { state?: TabState }> {
  const dir = mkdtempSync(join(opts.scratch, 'paste-'));
  try {
    const rc = join(dir, 'restore.sh');
    writeFileSync(rc, `${opts.state.restore}unset BASH_ENV\n(exit ${opts.state.status})\n`);
    const saved = join(dir, 'saved.sh');
    const script = [
      ...commands.map(
        (c, i) =>
          `{ ${c}\n} 2>"${dir}/err-${i}"\n__docs_status=$?; printf '\\n${SEPARATOR} ${i} %d\\n' "$__docs_status"; (exit $__docs_status)`,
      ),
      `__docs_status=$?; { declare -p $(compgen -v | grep -Ev '${BASH_OWN}'); printf 'cd -- %q\\n' "$PWD"; echo "__docs_last=$__docs_status"; } >"${saved}" 2>/dev/null`,
      '',
    ].join('\n');
    const {
      stdout,
      stderr: shellStderr,
      timedOut,
    } = await runPaste(script, {
      cwd: opts.cwd,
      env: { ...opts.env, BASH_ENV: rc },
      timeoutMs: opts.timeoutMs,
    });
    // Each command's output ends at its own numbered separator. A command that read the lines
    // pasted after it swallowed its separator: its number is missing, and what it and the
    // swallowed lines printed goes to the next separator found.
    const parts = stdout.split(new RegExp(`\\n?${SEPARATOR} (\\d+) (\\d+)\\n`));
    const ends = new Map<number, { stdout: string; status: number }>();
    for (let p = 0; p + 2 < parts.length; p += 3)
      ends.set(Number(parts[p + 1]), { stdout: parts[p] ?? '', status: Number(parts[p + 2]) });
    const runs: CommandRun[] = commands.map((_, i) => {
      let stderr = '';
      try {
        stderr = readFileSync(join(dir, `err-${i}`), 'utf8');
      } catch {}
      const end = ends.get(i);
      return { stdout: end?.stdout ?? '', stderr, status: end ? end.status : null };
    });
    const missing = runs.findIndex((r) => r.status === null);
    const finished = missing < 0 ? commands.length : missing;
    let state: TabState | undefined;
    if (existsSync(saved)) {
      const text = readFileSync(saved, 'utf8');
      const last = /^__docs_last=(\d+)$/m.exec(text);
      state = { restore: text.replace(/^__docs_last=.*\n?/m, ''), status: last ? Number(last[1]) : 0 };
    }
    return {
      commands: runs,
      ...(finished < commands.length ? { unfinished: finished } : {}),
      shellStderr,
      timedOut,
      ...(state ? { state } : {}),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** bash reading `script` from its standard input, as a terminal hands it a paste. */
function runPaste(
  script: string,
  opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<{ stdout: string; stderr: string; timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['--noprofile', '--norc', '-s'], {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    let err = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    }, opts.timeoutMs);
    child.once('error', reject);
    child.once('close', () => {
      clearTimeout(timer);
      resolve({ stdout: out, stderr: err, timedOut });
    });
    child.stdin.on('error', () => {}); // a shell that exits early closes its end
    child.stdin.end(script);
  });
}
