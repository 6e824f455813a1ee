import { describe, expect, it } from 'vitest';
import { contextHeaders, DEFAULT_ROUTING_HEADERS } from '../src/index.ts';

describe('contextHeaders', () => {
  it('forwards trace and routing headers and nothing else', () => {
    const out = contextHeaders(
      {
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        tracestate: 'congo=t61rcWkgMzE',
        'x-cloud-trace-context': '0af7651916cd43dd8448eb211c80319c/13222222222222222222;o=1',
        'x-variant': 'green',
        authorization: 'Bearer secret',
        cookie: 'session=1',
        'metadata-flavor': 'Google',
        'x-google-metadata-request': 'True',
        'proxy-authorization': 'Basic x',
        'x-serverless-authorization': 'Bearer y',
        host: 'client.example',
        connection: 'keep-alive',
        'x-forwarded-for': '1.2.3.4',
      },
      DEFAULT_ROUTING_HEADERS,
    );
    expect(out).toEqual({
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      tracestate: 'congo=t61rcWkgMzE',
      'x-cloud-trace-context': '0af7651916cd43dd8448eb211c80319c/13222222222222222222;o=1',
      'x-variant': 'green',
    });
  });

  it('takes the first of repeated values, skips empty ones, and matches names case-insensitively', () => {
    expect(
      contextHeaders({ 'x-variant': '', 'x-user-group': ['beta', 'alpha'] }, ['x-variant', 'X-User-Group']),
    ).toEqual({
      'x-user-group': 'beta',
    });
  });
});
