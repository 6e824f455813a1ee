import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROUTES_DIR } from '@meshapps/mesh-config';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { EXIT_AFTER, interruptHandler, restoreLines } from '../src/canary/interrupts.ts';
import { type LockDeps, lockRoute } from '../src/canary/lock.ts';
import { RouteEdited, RouteOwner, realRouteFileIo } from '../src/canary/route-owner.ts';
import { canaryRule, withWeights } from '../src/canary/route-weights.ts';
import { describeHeld } from '../src/canary/walk.ts';

// The canary's hold on its route (issue 22, items 11–13), part by part, in-process: the lock, the
// hash check before each write, what a signal restores and what it says. canary-signals.test.ts
// replays the same through the CLI with real signals.
let dir: string;
let file: string;
const original = readFileSync(join(ROUTES_DIR, 'target.yaml'), 'utf8');
const step = (a: number, b: number) => withWeights(original, 0, [a, b]);
const rule = canaryRule(parse(original), 'target-green');
const describe_ = (text: string) => describeHeld({ rule }, text);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'meshapps-canary-owner-'));
  cpSync(ROUTES_DIR, join(dir, 'routes'), { recursive: true });
  file = join(dir, 'routes/target.yaml');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the lock: one canary per route file', () => {
  /** Processes by pid → start time; a pid missing is gone. */
  const deps = (pid: number, procs: Record<number, string>): LockDeps => ({
    pid,
    now: () => new Date('2026-12-06T23:30:00.000Z'),
    processStart: (p) => procs[p],
    dir: join(dir, 'locks'),
  });

  it('a second canary is refused, naming the first; after release the route is free', () => {
    const procs = { 100: '5000', 200: '6000' };
    const first = lockRoute(file, 'route-target', deps(100, procs));
    expect(first.ok).toBe(true);
    const second = lockRoute(file, 'route-target', deps(200, procs));
    expect(second).toEqual({
      ok: false,
      holder: {
        pid: 100,
        started: '2026-12-06T23:30:00.000Z',
        route: 'route-target',
        file,
        procStart: '5000',
      },
    });
    if (first.ok) first.release();
    expect(readdirSync(join(dir, 'locks'))).toEqual([]);
    expect(lockRoute(file, 'route-target', deps(200, procs)).ok).toBe(true);
  });

  it('another route file is another lock', () => {
    const procs = { 100: '5000', 200: '6000' };
    expect(lockRoute(file, 'route-target', deps(100, procs)).ok).toBe(true);
    expect(lockRoute(join(dir, 'routes/ab.yaml'), 'route-ab', deps(200, procs)).ok).toBe(true);
  });

  it('a lock whose canary is gone — or whose pid now belongs to another process — is taken over, and said so', () => {
    expect(lockRoute(file, 'route-target', deps(100, { 100: '5000' })).ok).toBe(true);
    const gone = lockRoute(file, 'route-target', deps(200, { 200: '6000' }));
    expect(gone).toMatchObject({ ok: true, stale: { pid: 100 } });
    // pid 200 reused by a process that started later: not the canary that took the lock.
    const reused = lockRoute(file, 'route-target', deps(300, { 200: '9999', 300: '7000' }));
    expect(reused).toMatchObject({ ok: true, stale: { pid: 200 } });
  });

  it('release removes only its own lock, never one a later canary took over', () => {
    const first = lockRoute(file, 'route-target', deps(100, { 100: '5000' }));
    const later = lockRoute(file, 'route-target', deps(200, { 200: '6000' })); // 100 judged gone
    expect(later.ok).toBe(true);
    if (first.ok) first.release();
    expect(lockRoute(file, 'route-target', deps(300, { 200: '6000', 300: '7000' }))).toMatchObject({
      ok: false,
      holder: { pid: 200 },
    });
  });
});

describe('the route file, checked by hash before every write', () => {
  it('writes steps and a rollback while the file holds what the canary wrote', () => {
    const owner = new RouteOwner(file, 'routes/target.yaml', original);
    owner.write(step(90, 10));
    owner.write(step(50, 50));
    expect(owner.previousText).toBe(step(90, 10));
    owner.write(step(90, 10)); // the rollback
    expect(readFileSync(file, 'utf8')).toBe(step(90, 10));
  });

  it('a hand edit since the last write: RouteEdited, nothing written, the edit kept', () => {
    const owner = new RouteOwner(file, 'routes/target.yaml', original);
    owner.write(step(90, 10));
    const edit = step(70, 30);
    writeFileSync(file, edit);
    expect(() => owner.write(step(50, 50))).toThrow(RouteEdited);
    expect(() => owner.check()).toThrow('routes/target.yaml was changed by hand during the walk');
    expect(readFileSync(file, 'utf8')).toBe(edit);
    // Even a byte: a comment counts as an edit.
    const other = new RouteOwner(file, 'routes/target.yaml', edit);
    writeFileSync(file, `${edit}# mine\n`);
    expect(() => other.write(step(50, 50))).toThrow(RouteEdited);
  });

  it('a file replaced by something that is not a small regular file is an edit, and is not read', () => {
    const owner = new RouteOwner(file, 'routes/target.yaml', original);
    rmSync(file);
    expect(() => owner.write(step(90, 10))).toThrow(RouteEdited);
    expect(existsSync(file)).toBe(false);
    expect(realRouteFileIo.read('/dev/zero')).toBeUndefined();
  });
});

describe('what a signal restores, and says', () => {
  const ctx = { shownFile: 'infra/routes/target.yaml', describe: describe_ };

  it('mid-step: the previous file goes back, synchronously', () => {
    const owner = new RouteOwner(file, 'infra/routes/target.yaml', original);
    owner.write(step(90, 10));
    const report = owner.restoreNow();
    expect(report).toEqual({ state: 'restored', holds: original, was: step(90, 10) });
    expect(readFileSync(file, 'utf8')).toBe(original);
    expect(restoreLines('SIGTERM', report, { ...ctx, previous: original })).toEqual([
      'canary: SIGTERM — infra/routes/target.yaml holds the previous weights again (target 99, target-green 1; the step had target 90, target-green 10); not waited for until served',
    ]);
  });

  it('after a rollback was written: nothing to do, and says so', () => {
    const owner = new RouteOwner(file, 'infra/routes/target.yaml', original);
    owner.write(step(90, 10));
    owner.write(original);
    expect(owner.restoreNow()).toEqual({ state: 'already', holds: original });
  });

  it('a hand edit stays, and is described', () => {
    const owner = new RouteOwner(file, 'infra/routes/target.yaml', original);
    owner.write(step(90, 10));
    writeFileSync(file, step(70, 30));
    const report = owner.restoreNow();
    expect(report).toEqual({ state: 'edited', holds: step(70, 30) });
    expect(readFileSync(file, 'utf8')).toBe(step(70, 30));
    expect(restoreLines('SIGHUP', report, { ...ctx, previous: original })).toEqual([
      'canary: SIGHUP — infra/routes/target.yaml was changed by hand during the walk: left as it is (it holds target 70, target-green 30)',
    ]);
  });

  it('when it cannot write: says exactly what the file holds and what it should', () => {
    const io = { read: realRouteFileIo.read, write: realRouteFileIo.write };
    const owner = new RouteOwner(file, 'infra/routes/target.yaml', original, io);
    owner.write(step(90, 10));
    io.write = () => {
      throw new Error('EACCES: permission denied');
    };
    const report = owner.restoreNow();
    expect(report).toEqual({ state: 'failed', holds: step(90, 10), error: 'EACCES: permission denied' });
    expect(restoreLines('SIGINT', report, { ...ctx, previous: original })).toEqual([
      'canary: SIGINT — could not put the previous weights back (EACCES: permission denied): infra/routes/target.yaml still holds target 90, target-green 10; the previous weights were target 99, target-green 1: put them back by hand',
    ]);
  });

  it('on Google Cloud: what the project was last given, and how to import the file by hand', () => {
    const report = { state: 'restored' as const, holds: original, was: step(90, 10) };
    const lines = restoreLines('SIGTERM', report, {
      ...ctx,
      previous: original,
      cloud: { project: 'demo', imported: step(90, 10), importing: step(50, 50) },
      importByHand: 'IMPORT',
    });
    expect(lines[1]).toBe(
      '  project demo: last imported with target 90, target-green 10; an import of target 50, target-green 50 was stopped half-way, so either may be in force. To import the file as it is now: IMPORT',
    );
    expect(
      restoreLines('SIGTERM', report, {
        ...ctx,
        previous: original,
        cloud: { project: 'demo', imported: original },
      })[1],
    ).toBe('  project demo: last imported with the previous weights (target 99, target-green 1)');
  });

  it('the first Ctrl-C asks (finish, roll back, wait); a second one, SIGTERM or SIGHUP orders (now)', () => {
    const calls: string[] = [];
    const handle = interruptHandler({
      graceful: () => calls.push('graceful'),
      now: (s) => calls.push(`now ${s}`),
    });
    expect(handle('SIGINT')).toBe('graceful');
    expect(handle('SIGINT')).toBe('now');
    expect(calls).toEqual(['graceful', 'now SIGINT']);
    expect(interruptHandler({ graceful: () => {}, now: () => {} })('SIGTERM')).toBe('now');
    expect(interruptHandler({ graceful: () => {}, now: () => {} })('SIGHUP')).toBe('now');
    expect(EXIT_AFTER).toEqual({ SIGHUP: 129, SIGINT: 130, SIGTERM: 143 });
  });
});
