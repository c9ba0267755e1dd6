import type { ServerResponse } from 'node:http';

/**
 * Answers a request served outside Fastify (a front door) with a whole body: its length in
 * `content-length`, so that the status line, headers and body leave in one write and the client
 * reads the body by its length (Node would otherwise frame it in chunks, since `writeHead` sends
 * the headers before it sees the body).
 */
export function answerWhole(
  response: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: string | Buffer,
): void {
  response.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
  response.end(body);
}
