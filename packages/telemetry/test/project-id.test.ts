import { type HttpStub, startHttpStub } from '@meshapps/test-fixtures';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchProjectId } from '../src/project-id.ts';

let stub: HttpStub | undefined;
afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

describe('fetchProjectId', () => {
  it('asks project/project-id with Metadata-Flavor: Google and trusts only a genuine answer', async () => {
    stub = await startHttpStub((req, res) => {
      res.writeHead(200, { 'metadata-flavor': 'Google', 'content-type': 'application/text' });
      res.end(req.headers['metadata-flavor'] === 'Google' ? 'meshapps-demo' : 'no');
    });
    expect(await fetchProjectId(`http://127.0.0.1:${stub.port}`)).toBe('meshapps-demo');
    expect(stub.seen[0]?.url).toBe('/computeMetadata/v1/project/project-id');
  });

  it('ignores an answer without the Metadata-Flavor header (not a metadata server)', async () => {
    stub = await startHttpStub((_req, res) => res.end('meshapps-demo'));
    expect(await fetchProjectId(`http://127.0.0.1:${stub.port}`)).toBeUndefined();
  });

  it('gives up after its timeout when nothing answers', async () => {
    stub = await startHttpStub(() => {}); // never answers
    const started = performance.now();
    expect(await fetchProjectId(`http://127.0.0.1:${stub.port}`, 150)).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
