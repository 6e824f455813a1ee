export {
  appsOf,
  type DeployTarget,
  deployCommand,
  deployCommands,
  deployScript,
  imageFor,
  PUBLIC_ENTRY,
  type PublicEntry,
  shellQuote,
} from './commands.ts';
