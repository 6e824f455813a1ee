import { REPO_ROOT } from '@meshapps/mesh-config';
import { chapterFiles, docFiles, LANGUAGES, loadDoc } from './docs.ts';
import { Journey, runJourneys } from './journey.ts';
import { repoName } from './participant.ts';
import { type BlockResult, runBlocks } from './run-blocks.ts';
import { makeSandbox, type Sandbox } from './sandbox.ts';
import { Session } from './session.ts';
import { Stacks } from './stack.ts';

export interface DocsRun {
  results: BlockResult[];
  session: Session;
  sandbox: Sandbox;
  stacks: Stacks;
  journey: Journey;
  /** Stops every stack and removes the home directory and the copy. */
  remove: () => Promise<void>;
}

/**
 * Every runnable block: the README and the reference pages in a developer's terminal, then each
 * language's chapters as a participant in Cloud Shell — one home directory, the copy of the
 * repository where Cloud Shell clones it, one `pnpm start` at a time.
 */
export async function runAllBlocks(
  onResult?: (r: BlockResult, reused: boolean) => void,
  from = REPO_ROOT,
): Promise<DocsRun> {
  const session = new Session({ repoName: repoName(from) });
  const sandbox = makeSandbox(from, session.clone);
  const stacks = new Stacks(sandbox.root);
  const journey = new Journey(session, stacks, sandbox.root);
  const remove = async () => {
    await stacks.stop();
    session.remove();
  };
  try {
    const chapters = new Set<string>(LANGUAGES.flatMap((l) => chapterFiles(l, from)));
    const reference = docFiles(from)
      .filter((f) => !chapters.has(f))
      .flatMap((f) => loadDoc(f, from).fences.filter((x) => x.kind === 'runnable'));
    const results = await runBlocks(reference, stacks, onResult);
    const languages = LANGUAGES.map((l) => chapterFiles(l, from).map((f) => loadDoc(f, from)));
    results.push(...(await runJourneys(languages, journey, onResult)));
    return { results, session, sandbox, stacks, journey, remove };
  } catch (err) {
    await remove();
    throw err;
  }
}
