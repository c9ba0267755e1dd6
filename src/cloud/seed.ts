import { nationalIdGuid } from '../identity/index.ts';
import { DEMO_CLIENTS, demoClientSecret } from '../platform/federation/clients.ts';
import { DEMO_COUNTY_ACCOUNTS, DEMO_PASSWORD, DEMO_TENANTS } from '../platform/federation/seed-data.ts';
import type { RoleContext } from '../platform/runtime/role.ts';
import type { CloudTables } from './schema.ts';
import { type CloudServices, createCloudServices } from './services.ts';

/**
 * The cloud's demo data (idempotent): connections to both demo counties, the cloud administrator
 * `cloudadmin`, and `teacher02@mail.edu.tw` linked to teacher02's 臺南市 identity. teacher01 has
 * no cloud account, so the first login can be walked.
 */
export async function seedCloudDemo(ctx: RoleContext<CloudTables>, given?: CloudServices): Promise<void> {
  const services = given ?? createCloudServices(ctx);
  for (const tenant of DEMO_TENANTS) {
    const issuer = `${ctx.urls.county}/${tenant.code}`;
    const existing = await services.counties.get(tenant.code);
    if (existing && existing.issuer === issuer && existing.clientId === DEMO_CLIENTS.cloudAtCounty.clientId)
      continue;
    await services.counties.upsert({
      code: tenant.code,
      name: tenant.name,
      issuer,
      clientId: DEMO_CLIENTS.cloudAtCounty.clientId,
      clientSecret: demoClientSecret(ctx.secrets.secret, `cloud-at-${tenant.code}`),
    });
  }

  if (!(await services.accounts.byName('cloudadmin'))) {
    await services.accounts.create({
      name: 'cloudadmin',
      displayName: '教育雲管理者',
      passwordHash: await services.hasher.hash(DEMO_PASSWORD),
      isAdmin: true,
    });
  }

  const teacher = DEMO_COUNTY_ACCOUNTS.find((a) => a.username === 'teacher02');
  if (teacher && !(await services.accounts.byName('teacher02'))) {
    const issuer = `${ctx.urls.county}/${teacher.tenant}`;
    await services.db.transaction().execute(async (tx) => {
      const account = await services.accounts.create(
        {
          name: 'teacher02',
          displayName: teacher.realName,
          familyName: teacher.familyName,
          givenName: teacher.givenName,
          passwordHash: await services.hasher.hash(DEMO_PASSWORD),
          guidHash: services.guidHash(nationalIdGuid(teacher.nationalId)),
        },
        tx,
      );
      await services.accounts.link(
        account.id,
        {
          countyCode: teacher.tenant,
          issuer,
          subject: teacher.id,
          snapshot: {
            username: teacher.username,
            name: teacher.realName,
            familyName: teacher.familyName,
            givenName: teacher.givenName,
            email: teacher.email,
            schoolid: teacher.unitCode,
            titles: [{ schoolid: teacher.unitCode, titles: teacher.titles }],
            classinfo: [],
            openid2Id: null,
          },
        },
        tx,
      );
    });
  }
}
