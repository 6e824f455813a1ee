// pnpm docs:build — rewrite the code quotes and the Cloud Shell tutorials from their sources.
// pnpm docs:check — the offline checks, then every runnable block against a fresh `pnpm start`.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@meshapps/mesh-config';
import { offlineChecks } from './checks.ts';
import { docFiles, LANGUAGES, loadDoc } from './docs.ts';
import { withFreshQuotes } from './quotes.ts';
import { runAllBlocks } from './run-all.ts';
import { expectedTutorial } from './tutorial.ts';

function build(): void {
  for (const file of docFiles()) {
    const path = join(REPO_ROOT, file);
    const fresh = withFreshQuotes(loadDoc(file));
    if (fresh !== readFileSync(path, 'utf8')) {
      writeFileSync(path, fresh);
      console.log(`quotes  ${file}`);
    }
  }
  // After the quotes: the tutorials copy the chapters.
  for (const lang of LANGUAGES) {
    const { file, text } = expectedTutorial(lang);
    writeFileSync(join(REPO_ROOT, file), text);
    console.log(`wrote   ${file}`);
  }
}

async function check(): Promise<boolean> {
  let ok = true;
  for (const section of await offlineChecks()) {
    ok &&= section.problems.length === 0;
    console.log(section.problems.length === 0 ? `ok    ${section.name}` : `FAIL  ${section.name}`);
    for (const p of section.problems) console.log(`  ${p}`);
  }
  console.log("running every runnable block: the README and reference pages in a developer's terminal,");
  console.log(
    'the chapters as a participant in Cloud Shell (tabs, a reconnect), in a copy of the repository…',
  );
  const run = await runAllBlocks((r, reused) => {
    console.log(
      `${r.ok ? 'ok  ' : 'FAIL'}  ${r.fence.file}:${r.fence.line}${reused ? '  (same block ran above)' : ''}`,
    );
    for (const p of r.problems) console.log(`  ${p}`);
  });
  try {
    ok &&= run.results.every((r) => r.ok);
  } finally {
    await run.remove();
  }
  return ok;
}

const command = process.argv[2];
if (command === 'build') build();
else if (command === 'check') process.exitCode = (await check()) ? 0 : 1;
else {
  console.error('usage: node packages/docs-check/src/cli.ts build|check');
  process.exitCode = 2;
}
