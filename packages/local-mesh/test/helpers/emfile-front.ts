// A load-balancer entry and its Cloud Run front in a process of its own, for descriptor-budget.test.ts:
// `fill` on stdin opens /dev/null until the process is out of descriptors, `free` closes them.
// The app is the parent's (its port is the first argument). Prints `port N`, `full`, `free`, and
// whatever the descriptor budget says.
import { closeSync, openSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { CloudRunFront } from '../../src/cloud-run-front.ts';
import { descriptors } from '../../src/descriptor-budget.ts';
import { listen } from '../../src/entries.ts';
import { TokenIssuer } from '../../src/identity.ts';
import { meshService } from './target1.ts';

const appPort = Number(process.argv[2]);
descriptors.reportTo((line) => console.log(line));
const spec = { ...meshService('client', { ingress: 'all' }), entry: 'load-balancer' as const };
const front = new CloudRunFront({
  spec,
  invokers: new Set(),
  audiences: [],
  issuer: new TokenIssuer(),
  appPort: () => appPort,
});
const { url, life } = await listen('127.0.0.1', { port: 0, flag: '--port' }, front, 'load-balancer');
life.serve();
console.log(`port ${new URL(url).port}`);

const held: number[] = [];
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'fill') {
    try {
      for (;;) held.push(openSync('/dev/null', 'r'));
    } catch {
      console.log('full');
    }
  }
  if (line === 'free') {
    for (const fd of held.splice(0)) closeSync(fd);
    console.log('free');
  }
});
