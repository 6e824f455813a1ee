import { readRequestTarget } from '@meshapps/request-target';
import { HopError } from '@meshapps/service';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type Dispatcher, EnvHttpProxyAgent } from 'undici';
import { contextHeaders, DEFAULT_ROUTING_HEADERS } from './context-headers.ts';
import { DEADLINE_HEADER, Deadline } from './deadline.ts';
import type { HopContext } from './get-json.ts';
import { type AllowList, checkHost } from './hosts.ts';
import { IdTokens } from './id-tokens.ts';
import { thisProjectRunApp } from './this-project.ts';
import { callWithMesh } from './with-mesh.ts';
import { callWithoutMesh, callWithoutToken } from './without-mesh.ts';

/**
 * How the next hop is called; the mode carries along the whole chain. `call`: with the mesh
 * (http://<mesh host>, no token); `call-with-authheader`: without it (https://<run.app host> and
 * an ID token); `call-without-authheader`: without it and without a token, which Cloud Run refuses.
 */
export const MODES = ['call', 'call-with-authheader', 'call-without-authheader'] as const;
export type Mode = (typeof MODES)[number];

export interface ChainOptions {
  /** This service's name (K_SERVICE). */
  service: string;
  /** Mesh domain for `/call`: only `*.<meshDomain>` hosts are called. */
  meshDomain?: string;
  /**
   * Allow-list for the without-mesh modes: fixed, or 'this-project' to allow only this project's
   * run.app URLs, learnt from the metadata server (what the apps use).
   */
  runApp?: AllowList | 'this-project';
  hopLimit?: number;
  hopTimeoutMs?: number;
  routingHeaders?: readonly string[];
  /** Outbound HTTP; defaults to one that honours HTTP_PROXY / HTTPS_PROXY / NO_PROXY. */
  dispatcher?: Dispatcher;
  idTokens?: IdTokens;
}

export const CHAIN_DEFAULTS = {
  meshDomain: 'meshapps.internal',
  runApp: { suffixes: ['.run.app'] } as AllowList | 'this-project',
  hopLimit: 10,
  hopTimeoutMs: 5000,
  routingHeaders: DEFAULT_ROUTING_HEADERS,
};

/**
 * `GET /<mode>/h1/h2/…/hn` calls h1 at `/<mode>/h2/…/hn` (or `/` when nothing is left) and answers
 * `{"message": "<service> <- <h1's message>"}`. `GET /` answers `{"message": "<service>"}`.
 */
export async function chainRoutes(app: FastifyInstance, opts: ChainOptions): Promise<void> {
  const config = { ...CHAIN_DEFAULTS, ...opts };
  const meshAllow: AllowList = { suffixes: [`.${config.meshDomain}`] };
  const dispatcher = opts.dispatcher ?? new EnvHttpProxyAgent({ keepAliveTimeout: 4000 });
  const idTokens = opts.idTokens ?? new IdTokens();
  const runApp =
    config.runApp === 'this-project' ? thisProjectRunApp() : async () => config.runApp as AllowList;
  if (!opts.dispatcher) app.addHook('onClose', () => dispatcher.close());

  app.get('/', async () => ({ message: config.service }));

  for (const mode of MODES) {
    const handler = async (req: FastifyRequest, reply: FastifyReply) => {
      const allow = mode === 'call' ? meshAllow : await runApp();
      const { hosts, query } = parseHops(req.raw.url ?? '', mode, allow, config.hopLimit, config.service);
      const [next, ...rest] = hosts as [string, ...string[]];
      const path = (rest.length > 0 ? `/${mode}/${rest.join('/')}` : '/') + query;
      const deadline = Deadline.fromInbound(req.headers[DEADLINE_HEADER], config.hopTimeoutMs);
      const hop: HopContext = {
        name: `${config.service} -> ${next}`,
        headers: {
          ...contextHeaders(req.headers, config.routingHeaders),
          [DEADLINE_HEADER]: String(deadline.nextHopBudgetMs()),
        },
        timeoutMs: Math.max(1, deadline.remainingMs()),
        dispatcher,
        signal: abandonedSignal(reply),
      };
      try {
        const answer =
          mode === 'call'
            ? await callWithMesh(next, path, hop)
            : mode === 'call-with-authheader'
              ? await callWithoutMesh(next, path, hop, idTokens)
              : await callWithoutToken(next, path, hop);
        return reply.send({ message: `${config.service} <- ${answer.message}` });
      } catch (err) {
        if (err instanceof HopError) throw err.seenBy(config.service);
        // Anything else is a bug of ours: 500, hop named, no stack.
        const message = err instanceof Error ? err.message : String(err);
        throw new HopError(500, message, { hop: hop.name, chain: [config.service] });
      }
    };
    app.get(`/${mode}`, handler);
    app.get(`/${mode}/*`, handler);
  }
}

/**
 * Fires when our caller goes away before we answer (its deadline passed, it was cancelled): the
 * next hop is then cancelled too, instead of finishing work nobody will read.
 */
function abandonedSignal(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  return controller.signal;
}

/** Splits `/<mode>/h1/…/hn?query` and checks every host before anything is sent anywhere. */
export function parseHops(
  rawUrl: string,
  mode: Mode,
  allow: AllowList,
  hopLimit: number,
  service: string,
): { hosts: string[]; query: string } {
  const target = readRequestTarget(rawUrl);
  if (!target)
    throw new HopError(400, `the request target is not a path (/${mode}/<host>…)`, { chain: [service] });
  const pathname = target.path;
  const query = target.query ? `?${target.query}` : '';
  const segments = pathname.slice(`/${mode}`.length).split('/').slice(1);
  if (segments.length === 0 || (segments.length === 1 && segments[0] === '')) {
    throw new HopError(400, `name at least one host: /${mode}/<host>[/<host>…]`, { chain: [service] });
  }
  if (segments.length > hopLimit) {
    throw new HopError(400, `too many hops: ${segments.length} hosts, the hop limit is ${hopLimit}`, {
      chain: [service],
    });
  }
  const hosts = segments.map((segment, i) => {
    const check = checkHost(segment, allow);
    if (!check.ok) {
      throw new HopError(400, `host ${i + 1} refused: ${check.reason}`, { chain: [service] });
    }
    return check.host;
  });
  return { hosts, query };
}
