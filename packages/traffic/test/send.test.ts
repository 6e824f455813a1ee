import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forEachAnswer, MAX_ANSWER_BYTES, sendRequests } from '../src/send.ts';

let server: Server;
let base: URL;
const dispatcher = new Agent({ connections: 4 });

beforeAll(async () => {
  server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/huge') {
      // Twice the cap, sent in pieces: the reader must stop, not take it all.
      const piece = `"${'x'.repeat(1022)}",`;
      res.write('[');
      for (let i = 0; i < (2 * MAX_ANSWER_BYTES) / 1024; i++) res.write(piece);
      res.end('"end"]');
      return;
    }
    if (req.url === '/at-cap') {
      res.end(JSON.stringify({ message: 'y'.repeat(MAX_ANSWER_BYTES - 20) }));
      return;
    }
    if (req.url === '/text') {
      res.end('not json');
      return;
    }
    res.end(JSON.stringify({ message: 'hello from target' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});

afterAll(async () => {
  await dispatcher.close();
  await new Promise((resolve) => server.close(resolve));
});

describe('sendRequests: answers as the tools read them', () => {
  it('parses a JSON body, and leaves a body that is not JSON undefined', async () => {
    const [json] = await sendRequests(new URL('/', base), 1, { dispatcher, concurrency: 1 });
    expect(json).toMatchObject({ status: 200, body: { message: 'hello from target' } });
    const [text] = await sendRequests(new URL('/text', base), 1, { dispatcher, concurrency: 1 });
    expect(text).toMatchObject({ status: 200, body: undefined });
    expect(text?.error).toBeUndefined();
  });

  it('reads a body up to 64 KiB, and refuses a larger one with a clear error instead of holding it', async () => {
    const [atCap] = await sendRequests(new URL('/at-cap', base), 1, { dispatcher, concurrency: 1 });
    expect(atCap?.status).toBe(200);
    expect((atCap?.body as { message?: string } | undefined)?.message).toHaveLength(MAX_ANSWER_BYTES - 20);
    const [huge] = await sendRequests(new URL('/huge', base), 1, { dispatcher, concurrency: 1 });
    expect(huge).toMatchObject({ status: 0, body: undefined, error: 'AnswerTooLarge (body over 64 KiB)' });
  });

  it('forEachAnswer hands every answer to the caller as it comes, in the order of progress', async () => {
    const seen: number[] = [];
    const progress: number[] = [];
    await forEachAnswer(
      new URL('/', base),
      7,
      { dispatcher, concurrency: 3, onAnswer: (done) => progress.push(done) },
      (a) => seen.push(a.status),
    );
    expect(seen).toEqual([200, 200, 200, 200, 200, 200, 200]);
    expect(progress).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });
});
