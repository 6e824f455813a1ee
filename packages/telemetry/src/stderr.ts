/** One line on stderr in the services' JSON log shape, so Cloud Logging shows the severity right. */
export function writeStderr(severity: string, message: string): void {
  process.stderr.write(`${JSON.stringify({ severity, message, time: new Date().toISOString() })}\n`);
}
