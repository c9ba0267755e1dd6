import { createHash } from 'node:crypto';
import { DEMO_COUNTY_ACCOUNTS, DEMO_PASSWORD, DEMO_TENANTS } from '../../platform/federation/seed-data.ts';
import { findAccountById, findAccountByUsername, insertAccount } from '../accounts/repository.ts';
import type { County } from '../services.ts';
import { upsertTenant, upsertUnit } from '../tenants/tenants.ts';

/** A UUID derived from a name, so seeded rows keep their ids across demo restarts. */
export function stableUuid(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Demo reviewer of a unit: `rv-` and the local part of its mailbox (e.g. rv-pzjh for 朴子國民中學). */
export const demoReviewerName = (mailbox: string) => `rv-${mailbox.split('@')[0] ?? ''}`.slice(0, 15);

/**
 * Demo data, idempotent: the two counties with their units, the demo accounts with fixed ids (the
 * cloud links teacher02 by its `sub`), one reviewer per unit, and the announcements of the how-to.
 */
export async function seedCountyDemo(county: County): Promise<void> {
  const { db, vault } = county;
  let hash: string | undefined;
  const passwordHash = async () => {
    hash ??= await county.hasher.hash(DEMO_PASSWORD);
    return hash;
  };
  for (const tenant of DEMO_TENANTS) {
    await upsertTenant(db, {
      code: tenant.code,
      name: tenant.name,
      portal_name: tenant.portalName,
      mail_domain: tenant.mailDomain,
    });
    for (const unit of tenant.units) {
      await upsertUnit(db, tenant.code, {
        code: unit.code,
        name: unit.name,
        abbreviation: unit.abbreviation,
        mailbox: unit.mailbox,
      });
    }
    await db
      .insertInto('county_announcements')
      .values([
        {
          id: stableUuid(`${tenant.code}:announcement:notice`),
          tenant: tenant.code,
          title: '請使用者注意：',
          category: '本站公告',
          author: '系統管理員',
          body_markdown:
            '申請本系統帳號時，不要用身分證字號或行動電話號碼等個人資料作為帳號，否則因而發生不良後果，請自行負責！',
          published_at: new Date('2013-11-29T15:55:28+08:00'),
        },
        {
          id: stableUuid(`${tenant.code}:announcement:service`),
          tenant: tenant.code,
          title: `${tenant.portalName}服務說明`,
          category: '服務說明',
          author: '系統管理員',
          body_markdown:
            '*本站帳號限由教師本人申請，請服務單位確實檢核申請人身份，並禁止共用。\n\n*本站帳號歸屬申請人持有，服務單位異動(調校)時隨使用者移轉，故請勿以學校名稱作為帳號。',
          published_at: new Date('2010-11-21T21:02:30+08:00'),
        },
      ])
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    for (const unit of tenant.units) {
      if (unit.code === tenant.units.at(-1)?.code) continue; // the network center has admins, not a reviewer
      const username = demoReviewerName(unit.mailbox);
      if (await findAccountByUsername(db, tenant.code, username)) continue;
      await insertAccount(db, {
        id: stableUuid(`${tenant.code}:reviewer:${unit.code}`),
        tenant: tenant.code,
        username,
        passwordHash: await passwordHash(),
        email: unit.mailbox,
        emailVerified: true,
        role: 'reviewer',
        state: 'active',
        unitCode: unit.code,
        realName: `${unit.abbreviation}審核人員`,
        unitConfirmed: true,
        titles: ['教師', '網管'],
      });
    }
  }
  for (const demo of DEMO_COUNTY_ACCOUNTS) {
    if (await findAccountById(db, demo.tenant, demo.id)) continue;
    await insertAccount(db, {
      id: demo.id,
      tenant: demo.tenant,
      username: demo.username,
      passwordHash: await passwordHash(),
      email: demo.email,
      emailVerified: true,
      role: demo.kind === 'county-admin' ? 'county_admin' : 'teacher',
      state: 'active',
      unitCode: demo.unitCode,
      realName: demo.realName,
      familyName: demo.familyName,
      givenName: demo.givenName,
      nationalIdEncrypted: await vault.encrypt(demo.nationalId),
      nationalIdBlindIndex: vault.blindIndex(demo.nationalId),
      unitConfirmed: true,
      titles: demo.titles,
    });
  }
}
