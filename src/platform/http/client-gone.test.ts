import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../testing/ports.ts';
import { clientGone } from './client-gone.ts';

describe('clientGone', () => {
  const seen: boolean[] = [];
  const app = Fastify();
  let base = '';
  app.post('/slow', async (_request, reply) => {
    const signal = clientGone(reply);
    await new Promise((resolve) => setTimeout(resolve, 150));
    seen.push(signal.aborted);
    return 'done';
  });
  beforeAll(async () => {
    const port = await freePort();
    await app.listen({ port, host: '127.0.0.1' });
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(() => app.close());

  it('stays quiet while the client waits for its answer (the request body was read)', async () => {
    const response = await fetch(`${base}/slow`, { method: 'POST', body: 'a=1' });
    expect(await response.text()).toBe('done');
    expect(seen.pop()).toBe(false);
  });

  it('aborts when the client closes the connection before the answer', async () => {
    const controller = new AbortController();
    const request = fetch(`${base}/slow`, { method: 'POST', body: 'a=1', signal: controller.signal });
    setTimeout(() => controller.abort(), 40);
    await expect(request).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(seen.pop()).toBe(true);
  });
});
