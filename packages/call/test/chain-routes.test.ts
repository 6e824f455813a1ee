import { createLogger, createService } from '@meshapps/service';
import { describe, expect, it } from 'vitest';
import { chainRoutes } from '../src/index.ts';

describe('chainRoutes in a service', () => {
  it('answers GET / with the service name when the chain routes are registered', async () => {
    const logger = createLogger({ service: 'target2', destination: { write: () => {} } });
    const app = await createService({
      logger,
      routes: async (a) => {
        await a.register(chainRoutes, { service: 'target2' });
      },
    });
    try {
      const res = await app.inject({ method: 'GET', url: '/' });
      expect({ status: res.statusCode, body: res.json() }).toMatchObject({
        status: 200,
        body: { message: 'target2' },
      });
    } finally {
      await app.close();
    }
  });
});
