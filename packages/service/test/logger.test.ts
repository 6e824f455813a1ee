import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/index.ts';
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

  it('adds the mixin fields to every line', () => {
    const sink = logSink();
    const log = createLogger({
      service: 'client',
      destination: sink.destination,
      mixin: () => ({ 'logging.googleapis.com/trace': 'projects/p/traces/abc' }),
    });
    log.info('x');
    expect(sink.entries()[0]).toMatchObject({ 'logging.googleapis.com/trace': 'projects/p/traces/abc' });
  });
});
