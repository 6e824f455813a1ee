import { type LocalCertificate, makeLocalCertificate } from '@meshapps/local-ca';
import { RUN_APP_WILDCARD } from './cloud-names.ts';

/**
 * TLS for the emulated *.run.app URLs: a certificate authority made at start signs one
 * wildcard certificate (`@meshapps/local-ca`, which the tests' TLS stubs use too). Apps trust the
 * CA through NODE_EXTRA_CA_CERTS (Node's standard way to add a CA), so the without-mesh code calls
 * https:// exactly as on Cloud Run.
 */
export type RunAppTls = LocalCertificate;

export function makeRunAppTls(dnsNames: readonly string[] = [RUN_APP_WILDCARD]): Promise<RunAppTls> {
  return makeLocalCertificate(dnsNames);
}
