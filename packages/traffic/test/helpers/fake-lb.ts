import { readFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse } from 'yaml';

export interface FakeLb {
  url: string;
  /** Answer every `n`-th request of target-green with a 500 (undefined: never). */
  failEvery: number | undefined;
  /** Hold every answer until `resume()` (a mesh that stopped answering). */
  pause: () => void;
  /**
   * Hold answers once `n` requests have been answered under the route file as it is now *and*
   * `when(text)` holds for it; resolves when the first is held. Deterministic: the canary cannot
   * get past a step while the test acts.
   */
  pauseAt: (n: number, when: (text: string) => boolean) => Promise<void>;
  resume: () => void;
  close: () => Promise<void>;
}

/**
 * A load balancer stand-in on 127.0.0.1 that splits `/call/target.meshapps.internal` by whatever
 * route file `routeFile()` names holds now — exactly by weight (each answer to the destination
 * furthest behind its share), starting afresh whenever the file changes — and answers as the
 * chain does (`client <- target-green`, or an error naming the chain).
 */
export async function startFakeLb(routeFile: () => string): Promise<FakeLb> {
  let seen = '';
  let total = 0;
  const sent = new Map<string, number>();
  let held: (() => void)[] | undefined;
  let trigger: { n: number; when: (text: string) => boolean; fire: () => void } | undefined;
  const lb: Partial<FakeLb> = { failEvery: undefined };
  const answer = (res: ServerResponse) => {
    const text = readFileSync(routeFile(), 'utf8');
    if (text !== seen) {
      [seen, total] = [text, 0];
      sent.clear();
    }
    total++;
    const dests = parse(text).rules[0].action.destinations as { serviceName: string; weight: number }[];
    const sum = dests.reduce((a, d) => a + d.weight, 0);
    let pick = '';
    let deficit = Number.NEGATIVE_INFINITY;
    for (const d of dests) {
      const name = d.serviceName.split('/').pop() as string;
      const gap = (total * d.weight) / sum - (sent.get(name) ?? 0);
      if (d.weight > 0 && gap > deficit) [pick, deficit] = [name, gap];
    }
    sent.set(pick, (sent.get(pick) ?? 0) + 1);
    const fails = pick === 'target-green' && lb.failEvery && (sent.get(pick) as number) % lb.failEvery === 0;
    res.writeHead(fails ? 500 : 200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify(
        fails
          ? { error: { status: 500, message: 'failed on purpose', chain: ['client', pick] } }
          : { message: `client <- ${pick}` },
      ),
    );
  };
  const server = createServer((_req, res) => {
    if (trigger && total >= trigger.n && trigger.when(readFileSync(routeFile(), 'utf8'))) {
      held ??= [];
      trigger.fire();
      trigger = undefined;
    }
    if (held) held.push(() => answer(res));
    else answer(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(lb, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    pause: () => {
      held ??= [];
    },
    pauseAt: (n: number, when: (text: string) => boolean) =>
      new Promise<void>((fire) => {
        trigger = { n, when, fire };
      }),
    resume: () => {
      const waiting = held ?? [];
      held = undefined;
      for (const go of waiting) go();
    },
    close: async () => {
      lb.resume?.();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  }) as FakeLb;
}
