export {
  appsOf,
  type DeployTarget,
  deployCommand,
  deployCommands,
  deployScript,
  imageFor,
  shellQuote,
} from './commands.ts';
