import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenIssuer } from '../src/identity.ts';
import { formatAppLine, formatHop, formatIdentity, printable } from '../src/log-format.ts';
import { startMetadataServer } from '../src/metadata-server.ts';
import { exchange, rawSocket, statusOf } from './helpers/raw.ts';

// The inputs that broke the mesh when probed (issue 13), one by one, at the depth they arise.
const issuer = new TokenIssuer();
const AUD = 'https://target1-123456789012.asia-northeast1.run.app';

describe('defect 1: ID tokens whose parts are valid JSON but not objects', () => {
  it.each([
    ['header null', 'bnVsbA.e30.e30'],
    ['claims null', 'e30.bnVsbA.e30'],
    ['header an array', 'W10.e30.e30'],
    ['header a number', 'MQ.e30.e30'],
    ['header a string', 'InN0ciI.e30.e30'],
  ])('%s → refused as not a JWT, not thrown', async (_name, token) => {
    expect(await issuer.verify(token, [AUD])).toEqual({ ok: false, reason: 'the bearer token is not a JWT' });
  });
});

describe('defect 2: the metadata server reads any request target as a path', () => {
  let metadata: Awaited<ReturnType<typeof startMetadataServer>>;
  const issued: string[] = [];
  beforeAll(async () => {
    metadata = await startMetadataServer(
      { service: 'client', email: 'c@p.iam.gserviceaccount.com' },
      issuer,
      {
        onIdentity: (_s, audience) => issued.push(audience),
      },
    );
  });
  afterAll(() => metadata.close());

  const port = () => Number(metadata.host.split(':')[1]);
  const get = async (target: string) => {
    const socket = await rawSocket(port());
    return exchange(
      socket,
      `GET ${target} HTTP/1.1\r\nhost: x\r\nmetadata-flavor: Google\r\nconnection: close\r\n\r\n`,
    );
  };

  it('GET //x:99999/ with Metadata-Flavor: Google → a clean 404, and the server answers on', async () => {
    for (const target of ['//x:99999/', '//[/', '//x:99999/computeMetadata/v1/project/project-id', '/%zz']) {
      const status = statusOf((await get(target)).text) ?? 0;
      expect(status, target).toBeGreaterThanOrEqual(400);
      expect(status, target).toBeLessThan(500);
    }
    expect((await get('/computeMetadata/v1/project/project-id')).text).toContain('meshapps-local');
  });

  it("Node's bare 417 for an Expect other than 100-continue: the mesh's JSON error shape instead", async () => {
    const socket = await rawSocket(port());
    const { text } = await exchange(
      socket,
      'GET /computeMetadata/v1/project/project-id HTTP/1.1\r\nhost: x\r\nmetadata-flavor: Google\r\nexpect: 200-ok\r\nconnection: close\r\n\r\n',
    );
    expect(statusOf(text)).toBe(417);
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))).toEqual({
      error: {
        status: 417,
        message: 'metadata server of client: Expect: 200-ok is not supported (only 100-continue)',
      },
    });
  });

  it('a malformed request line gets 400 with a JSON reason', async () => {
    const socket = await rawSocket(port());
    const { text } = await exchange(socket, 'GET /\x01 HTTP/1.1\r\n\r\n');
    expect(statusOf(text)).toBe(400);
    expect(text).toContain('"error"');
  });
});

describe('defect 9: what reaches the terminal', () => {
  const hostile = 'https://x\r\n\x1b[2J\x1b[31mlocal-mesh           ready.\u2028';

  it('an audience with CR, LF and ANSI escapes is printed escaped, on one line', () => {
    const line = formatIdentity('client', hostile);
    for (const c of ['\r', '\n', '\x1b', '\u2028']) expect(line).not.toContain(c);
    expect(line).toContain('https://x\\r\\n\\x1b[2J\\x1b[31mlocal-mesh');
  });

  it('an identity or hop line is bounded however long the audience or host (issue 22, 15)', () => {
    const long = `https://x${'a'.repeat(16 * 1024)}`;
    const identity = formatIdentity('client', long);
    expect(identity.length).toBeLessThan(400);
    expect(identity).toContain(`(${long.length - 200} more characters)`);
    const hop = formatHop({
      caller: 'client',
      host: `${'h'.repeat(16 * 1024)}.meshapps.internal`,
      status: 403,
      ms: 1,
    });
    expect(hop.length).toBeLessThan(400);
    // Escaping happens after the cut: 200 control characters stay a few hundred bytes.
    expect(formatIdentity('client', '\x1b'.repeat(16 * 1024)).length).toBeLessThan(1200);
  });

  it('hop hosts and app lines are escaped too; tabs and plain text are kept', () => {
    expect(formatHop({ caller: 'client', host: 'a\x1bb', status: 404, ms: 1 })).toContain('a\\x1bb');
    expect(formatAppLine({ service: 'client', stream: 'stdout', line: 'plain\tline\x07' }, false)).toMatch(
      /plain\tline\\x07$/,
    );
    expect(printable('ok → 日本語')).toBe('ok → 日本語');
  });
});
