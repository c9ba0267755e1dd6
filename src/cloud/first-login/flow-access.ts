import type { FastifyRequest } from 'fastify';
import { AppError } from '../../platform/errors/app-error.ts';
import { sessionFlowId } from '../broker/county-login.ts';
import type { LoginFlow } from './flows.ts';

/**
 * The flow named by the request (`flow` in the query or the form), which must be the one this
 * browser's session started: a flow id copied to another browser is worthless.
 */
export async function flowOf(request: FastifyRequest): Promise<LoginFlow> {
  const query = request.query as Record<string, unknown> | undefined;
  const body = request.body as Record<string, unknown> | undefined;
  const id = typeof body?.flow === 'string' ? body.flow : typeof query?.flow === 'string' ? query.flow : '';
  const own = sessionFlowId(request);
  if (!id || !own || id !== own) throw new AppError('cloud.flow_expired', 410);
  const flow = await request.server.cloud.flows.get(id);
  if (!flow) throw new AppError('cloud.flow_expired', 410);
  return flow;
}

export function flowUrl(flow: Pick<LoginFlow, 'id'>, path = '/first-login'): string {
  return `${path}?flow=${encodeURIComponent(flow.id)}`;
}

/** The person's name as the county gave it, for the greeting. */
export function personName(flow: LoginFlow): string {
  return flow.snapshot.name ?? flow.snapshot.username ?? '';
}
