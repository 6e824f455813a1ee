import { type ParseArgsConfig, parseArgs } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/** A command's usage, and the one way its CLI refuses bad input: message, usage, exit 2. */
export function commandLine<const O extends Options>(command: string, usage: string, options: O) {
  const refuse = (message: string): never => {
    console.error(`${command}: ${message}\n${usage}`);
    process.exit(2);
  };
  const read = () => {
    try {
      // `pnpm x -- --flag` passes the `--` along; flags after it are still ours.
      return parseArgs({ args: process.argv.slice(2).filter((a) => a !== '--'), options }).values;
    } catch (err) {
      return refuse((err as Error).message);
    }
  };
  return { values: read(), refuse };
}
