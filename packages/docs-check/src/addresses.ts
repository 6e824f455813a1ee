/**
 * The guide shows `pnpm start`'s default ports; the docs test runs one stack on free ports. The
 * one rewrite: `localhost:P` / `127.0.0.1:P` for a default port P becomes the real port in every
 * command, and the real port becomes P again in the output before it is compared.
 */

export const DOCUMENTED_PORTS = { lb: 8080, participant: 8081, traceViewer: 16686 } as const;

export type Ports = { [K in keyof typeof DOCUMENTED_PORTS]: number };

const HOSTS = '(localhost|127\\.0\\.0\\.1)';

function swap(text: string, from: number, to: number): string {
  return text.replace(new RegExp(`\\b${HOSTS}:${from}(?!\\d)`, 'g'), `$1:${to}`);
}

/** A documented command, pointed at the running stack. */
export function toRealAddresses(command: string, real: Ports): string {
  let out = command;
  for (const key of Object.keys(DOCUMENTED_PORTS) as (keyof Ports)[]) {
    out = swap(out, DOCUMENTED_PORTS[key], real[key]);
  }
  return out;
}

/** Real output, with the stack's ports shown as the documented defaults. */
export function toDocumentedAddresses(output: string, real: Ports): string {
  let out = output;
  for (const key of Object.keys(DOCUMENTED_PORTS) as (keyof Ports)[]) {
    out = swap(out, real[key], DOCUMENTED_PORTS[key]);
  }
  return out;
}
