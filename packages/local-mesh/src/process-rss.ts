import { readdirSync, readFileSync } from 'node:fs';

/** Resident memory of one process in MiB (Linux /proc), or undefined when it is gone. */
export function rssMiB(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The process and its descendants (Linux /proc): pid → resident MiB. */
export function treeRssMiB(root: number): Map<number, number> {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // pid (comm) state ppid …; comm may hold spaces and parentheses, so split after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parentOf.set(Number(entry), ppid);
    } catch {
      // gone meanwhile
    }
  }
  const tree = new Map<number, number>();
  const visit = (pid: number) => {
    const rss = rssMiB(pid);
    if (rss === undefined) return;
    tree.set(pid, rss);
    for (const [child, ppid] of parentOf) if (ppid === pid) visit(child);
  };
  visit(root);
  return tree;
}
