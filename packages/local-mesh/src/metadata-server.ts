import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readRequestTarget } from '@meshapps/request-target';
import { closeServer } from './close-server.ts';
import { LOCAL_PROJECT } from './cloud-names.ts';
import { descriptors } from './descriptor-budget.ts';
import { answerClientErrors, guarded, refuseConnect } from './guard.ts';
import type { TokenIssuer } from './identity.ts';
import { serverOptions } from './timeouts.ts';

export interface MetadataIdentity {
  service: string;
  email: string;
}

export interface MetadataEvents {
  /** Called for every ID token issued (never with the token itself). */
  onIdentity?: (service: string, audience: string) => void;
}

/**
 * One service's metadata server: what Cloud Run's instance metadata answers for that
 * service's own service account. Apps find it through GCE_METADATA_HOST, so the real
 * google-auth-library and gcp-metadata code paths run unchanged.
 * https://cloud.google.com/run/docs/container-contract#metadata-server
 */
export async function startMetadataServer(
  identity: MetadataIdentity,
  issuer: TokenIssuer,
  events: MetadataEvents = {},
): Promise<{ host: string; close: () => Promise<void> }> {
  const server = createServer(
    serverOptions(),
    guarded(`metadata server of ${identity.service}`, (req, res) =>
      answer(req, res, identity, issuer, events),
    ),
  );
  answerClientErrors(server, `metadata server of ${identity.service}`);
  refuseConnect(server, `metadata server of ${identity.service}`);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  descriptors.add(server, `metadata server of ${identity.service}`);
  const { port } = server.address() as AddressInfo;
  return { host: `127.0.0.1:${port}`, close: () => closeServer(server) };
}

function answer(
  req: IncomingMessage,
  res: ServerResponse,
  identity: MetadataIdentity,
  issuer: TokenIssuer,
  events: MetadataEvents,
): void {
  res.setHeader('Metadata-Flavor', 'Google');
  res.setHeader('Server', 'Metadata Server for Serverless');
  if (req.method !== 'GET') return send(res, 405, 'text/html', `Method ${req.method} not allowed`);
  // The local stand-in for https://www.googleapis.com/oauth2/v3/certs: verify tokens like Google's.
  if (req.url === '/oauth2/v3/certs')
    return send(res, 200, 'application/json', JSON.stringify(issuer.jwks()));
  if (req.headers['metadata-flavor'] !== 'Google') {
    return send(res, 403, 'text/html', 'Missing required header "Metadata-Flavor": "Google"');
  }
  // Requests relayed by a proxy are refused, as on Google's metadata servers.
  if (req.headers['x-forwarded-for'] !== undefined)
    return send(res, 403, 'text/html', 'Proxied requests are refused');

  // `//x:99999/` and the like are paths here, not URLs to resolve; a proxy's absolute form is refused.
  const target = readRequestTarget(req.url);
  if (!target || target.absolute) return send(res, 400, 'text/html', 'Bad Request: malformed path');
  const path = target.path.replace(/^\/computeMetadata\/v1\/?/, '').replace(/\/+$/, '');
  const account = /^instance\/service-accounts\/([^/]+)(?:\/(.*))?$/.exec(path);
  if (account && (account[1] === 'default' || account[1] === identity.email)) {
    return answerAccount(account[2] ?? '', target.query, res, identity, issuer, events);
  }
  switch (path) {
    case 'instance':
    case '':
      return send(res, 200, 'application/text', 'attributes/\nid\nregion\nservice-accounts/\nzone\n');
    case 'instance/service-accounts':
      return send(res, 200, 'application/text', `default/\n${identity.email}/\n`);
    case 'instance/id':
      return send(res, 200, 'application/text', '0000000000000000000000000000000000000000');
    case 'instance/region':
      return send(
        res,
        200,
        'application/text',
        `projects/${LOCAL_PROJECT.number}/regions/${LOCAL_PROJECT.region}`,
      );
    case 'instance/zone':
      return send(
        res,
        200,
        'application/text',
        `projects/${LOCAL_PROJECT.number}/zones/${LOCAL_PROJECT.region}-1`,
      );
    case 'project/project-id':
      return send(res, 200, 'application/text', LOCAL_PROJECT.id);
    case 'project/numeric-project-id':
      return send(res, 200, 'application/text', LOCAL_PROJECT.number);
    default:
      return send(res, 404, 'text/html', `Not Found: /computeMetadata/v1/${path}`);
  }
}

function answerAccount(
  leaf: string,
  query: string,
  res: ServerResponse,
  identity: MetadataIdentity,
  issuer: TokenIssuer,
  events: MetadataEvents,
): void {
  switch (leaf) {
    case '':
      return send(
        res,
        200,
        'application/json',
        JSON.stringify({ aliases: ['default'], email: identity.email, scopes: [SCOPE] }),
      );
    case 'email':
      return send(res, 200, 'application/text', identity.email);
    case 'scopes':
      return send(res, 200, 'application/text', `${SCOPE}\n`);
    case 'identity': {
      const audience = new URLSearchParams(query).get('audience');
      if (!audience) return send(res, 400, 'text/html', 'non-empty audience parameter required');
      events.onIdentity?.(identity.service, audience);
      return void issuer.issue(identity.email, audience).then(
        (token) => send(res, 200, 'text/html', token),
        (err: unknown) =>
          send(res, 500, 'text/html', `could not sign an ID token: ${(err as Error).message}`),
      );
    }
    case 'token':
      return send(
        res,
        200,
        'application/json',
        JSON.stringify({
          access_token: `ya29.local-${randomBytes(24).toString('base64url')}`,
          expires_in: 3599,
          token_type: 'Bearer',
        }),
      );
    default:
      return send(res, 404, 'text/html', `Not Found: ${leaf}`);
  }
}

const SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
