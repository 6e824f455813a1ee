import { describe, expect, it } from 'vitest';
import { HopError, parseErrorBody } from '../src/index.ts';

describe('HopError', () => {
  it('adds each service it passes through to the front of the chain, keeping the hop', () => {
    const inner = new HopError(403, 'upstream answered 403', { hop: 'proxy -> target1.meshapps.internal' });
    const seen = inner.seenBy('proxy').seenBy('client');
    expect(seen.toBody()).toEqual({
      error: {
        status: 403,
        message: 'upstream answered 403',
        hop: 'proxy -> target1.meshapps.internal',
        chain: ['client', 'proxy'],
      },
    });
  });

  it('leaves hop out when there is none and never carries a stack', () => {
    const body = new HopError(400, 'bad', { chain: ['client'] }).toBody();
    expect(body).toEqual({ error: { status: 400, message: 'bad', chain: ['client'] } });
    expect(JSON.stringify(body)).not.toMatch(/stack|at .*\.ts/);
  });
});

describe('parseErrorBody', () => {
  it('reads our own shape back', () => {
    const body = new HopError(504, 'slow', { hop: 'proxy -> t', chain: ['proxy'] }).toBody();
    expect(parseErrorBody(JSON.parse(JSON.stringify(body)))).toEqual(body.error);
  });

  it.each([
    undefined,
    null,
    'text',
    { error: 'Forbidden' },
    { error: { status: '403', message: 'x' } },
    { error: { status: 403 } },
    { message: 'x' },
  ])('refuses %j', (value) => {
    expect(parseErrorBody(value)).toBeUndefined();
  });

  it('drops chain entries that are not strings', () => {
    expect(parseErrorBody({ error: { status: 500, message: 'm', chain: ['a', 1, null, 'b'] } })).toEqual({
      status: 500,
      message: 'm',
      chain: ['a', 'b'],
    });
  });
});
