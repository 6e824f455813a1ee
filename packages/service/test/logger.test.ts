import { describe, expect, it } from 'vitest';
import { CENSOR, createLogger, redactLine } from '../src/index.ts';
import { logSink } from './support.ts';

describe('createLogger', () => {
  it('writes Cloud Logging JSON lines: severity, message, serviceContext, time', () => {
    const sink = logSink();
    const log = createLogger({
      service: 'proxy',
      revision: 'proxy-00001-abc',
      destination: sink.destination,
    });
    log.info('hello');
    log.warn({ hop: 'a -> b' }, 'careful');
    log.error('broken');
    const [info, warn, error] = sink.entries();
    expect(info).toMatchObject({
      severity: 'INFO',
      message: 'hello',
      serviceContext: { service: 'proxy', version: 'proxy-00001-abc' },
    });
    expect(info).not.toHaveProperty('level');
    expect(info).not.toHaveProperty('msg');
    expect(String(info?.time)).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(warn).toMatchObject({ severity: 'WARNING', message: 'careful', hop: 'a -> b' });
    expect(error).toMatchObject({ severity: 'ERROR' });
  });

  it('redacts credentials wherever a logged object carries them', () => {
    const sink = logSink();
    const log = createLogger({ service: 'client', destination: sink.destination });
    log.info({ authorization: 'Bearer top-secret-1' }, 'a');
    log.info({ req: { headers: { authorization: 'Bearer top-secret-2', cookie: 'sid=top-secret-3' } } }, 'b');
    log.info({ res: { headers: { 'x-serverless-authorization': 'Bearer top-secret-4' } } }, 'c');
    log.info({ upstream: { headers: { 'proxy-authorization': 'Basic top-secret-5' } } }, 'd');
    log.info({ options: { authorization: 'Bearer top-secret-6' } }, 'e');
    expect(sink.lines).toHaveLength(5);
    for (const line of sink.lines) expect(line).not.toMatch(/top-secret/);
    expect(sink.entries()[1]).toMatchObject({
      req: { headers: { authorization: '[redacted]', cookie: '[redacted]' } },
    });
  });

  it('redacts at any depth and in any letter case, errors included, and leaves the rest alone', () => {
    const sink = logSink();
    const log = createLogger({ service: 'client', destination: sink.destination });
    const err = Object.assign(new Error('upstream refused'), {
      config: { headers: { Authorization: 'Bearer top-secret-7' } },
    });
    log.error({ err }, 'f');
    log.info({ a: { b: [{ headers: { 'Set-Cookie': ['sid=top-secret-8'] } }] } }, 'g');
    log.info({ note: 'the authorization header is checked by Cloud Run' }, 'authorization: see the note');
    expect(sink.lines.join('\n')).not.toMatch(/top-secret/);
    const [f, g, h] = sink.entries();
    expect(f).toMatchObject({
      err: { message: 'upstream refused', config: { headers: { Authorization: CENSOR } } },
    });
    expect(g).toMatchObject({ a: { b: [{ headers: { 'Set-Cookie': CENSOR } }] } });
    // A credential's NAME in text is no credential: the line stays exactly as written.
    expect(h).toMatchObject({ note: 'the authorization header is checked by Cloud Run' });
  });

  it('costs one pattern test on ordinary lines, and never lets an unparsable one through', () => {
    const ordinary = '{"severity":"INFO","message":"incoming request","req":{"method":"GET"}}\n';
    expect(redactLine(ordinary)).toBe(ordinary);
    const broken = '{"authorization": "Bearer top-secret-9"\n';
    expect(redactLine(broken)).not.toMatch(/top-secret/);
    expect(JSON.parse(redactLine(broken))).toMatchObject({ severity: 'ERROR' });
  });
});
