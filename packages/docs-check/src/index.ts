export { DOCUMENTED_PORTS, type Ports, toDocumentedAddresses, toRealAddresses } from './addresses.ts';
export {
  blockProblems,
  buttonProblems,
  linkProblems,
  offlineChecks,
  type Section,
  slug,
  tutorialProblems,
} from './checks.ts';
export {
  type CloudFacts,
  cloudCommandProblems,
  cloudFacts,
  commandProblems,
  commandsOf,
  enableApisProblems,
  routeCdCommands,
} from './cloud-commands.ts';
export { BlockSyntaxError, type Step, stepsOf } from './console-block.ts';
export {
  CHAPTER_FILE,
  chapterFiles,
  docFiles,
  LANGUAGES,
  type Language,
  loadDoc,
  tutorialFile,
} from './docs.ts';
export { linePattern, type Match, matchOutput, PLACEHOLDERS } from './expect.ts';
export { Journey, type JourneySnapshot, runJourneys } from './journey.ts';
export { type BlockKind, type Fence, type MarkdownDoc, type Marker, parseMarkdown } from './markdown.ts';
export { chapterParity, parityProblems } from './parity.ts';
export {
  copyableGroups,
  interactiveReason,
  participantProblems,
  placeholderIn,
  repoName,
  SETUP_SCRIPT,
  setupLine,
  setupVariables,
} from './participant.ts';
export {
  PICTURES_DIR,
  type PictureUse,
  pictureBaseUrl,
  pictureProblems,
  pictureUses,
} from './pictures.ts';
export { quoted, staleQuotes, withFreshQuotes } from './quotes.ts';
export { type DocsRun, runAllBlocks } from './run-all.ts';
export {
  type BlockResult,
  developerShell,
  runBlock,
  runBlocks,
  type Shell,
  type StepResult,
  startArgs,
} from './run-blocks.ts';
export { changedFiles, makeSandbox, type Sandbox, toolchainDir } from './sandbox.ts';
export { CLOUD_SHELL_VARIABLES, type PasteResult, pasteInto, Session, type TabStates } from './session.ts';
export { type RunningStack, type StackOptions, Stacks, startStack } from './stack.ts';
export { expectedTutorial, renderTutorial } from './tutorial.ts';
