import type { FastifyInstance } from 'fastify';
import { createRoleApp, sendPage } from '../http/role-app.ts';
import { html } from '../views/html.ts';
import { page } from '../views/layout.ts';
import { dependencyChecks } from './boot.ts';
import type { RoleContext, RoleModule } from './role.ts';

/** The app of a role that is not built yet: a clear page, never an error. */
export async function placeholderApp(
  ctx: RoleContext,
  module: Pick<RoleModule, 'title'>,
): Promise<FastifyInstance> {
  const app = await createRoleApp({
    role: ctx.role,
    logger: ctx.log,
    readiness: dependencyChecks(ctx),
    brand: { name: module.title['zh-TW'], href: '/' },
  });
  app.get('/*', async (request, reply) => {
    const role = module.title[request.locale];
    return sendPage(
      reply,
      page(request, {
        title: request.t('page.not_built.title'),
        brand: { name: role, href: '/' },
        main: html`<h1>${role}</h1><div class="notice"><p>${request.t('page.not_built.body', { role })}</p></div>`,
      }),
    );
  });
  return app;
}
