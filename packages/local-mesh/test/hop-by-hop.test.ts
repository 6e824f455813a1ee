import { describe, expect, it } from 'vitest';
import { withoutHopByHop } from '../src/hop-by-hop.ts';

describe('withoutHopByHop', () => {
  it('drops every hop-by-hop header and keeps the rest, values and order unchanged', () => {
    const headers = {
      host: 'target1.meshapps.internal',
      connection: 'keep-alive',
      'keep-alive': 'timeout=5',
      'proxy-connection': 'keep-alive',
      'proxy-authorization': 'Basic eA==',
      te: 'trailers',
      trailer: 'x-checksum',
      upgrade: 'websocket',
      authorization: 'Bearer t',
      'set-cookie': ['a=1', 'b=2'],
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    };
    const out = withoutHopByHop(headers);
    expect(Object.keys(out)).toEqual(['host', 'authorization', 'set-cookie', 'traceparent']);
    expect(out['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(headers.connection).toBe('keep-alive');
  });
});
