/**
 * `pnpm trace:last | head` closes the pipe early: that is the reader being done, not an error
 * worth a stack trace. Imported for its effect by the command-line entry points.
 */
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
