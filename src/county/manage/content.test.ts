// Two county administrators editing the same help page or announcement: the second save from the same
// version is refused with both texts on the page, and nothing is overwritten; a delete from a list
// shown before an edit deletes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../platform/federation/seed-data.ts';
import { testDatabases } from '../../platform/testing/databases.ts';
import { insertAccount } from '../accounts/repository.ts';
import { type CountyTestApp, startCountyTestApp, TestClient } from '../testing.ts';

// On PostgreSQL as well: there two saves at the same moment really run side by side.
const kinds = await testDatabases();
const versionOf = (body: string) => /name="version" value="(\d+)"/.exec(body)?.[1] ?? '';
/** The version the delete button of announcement `id` carries on a page. */
const deleteVersionOf = (body: string, id: string) =>
  new RegExp(
    `action="/cyc/manage/announcements/${id}/delete"[^>]*>(?:(?!</form>)[^])*?name="version" value="(\\d+)"`,
  ).exec(body)?.[1];

describe.each(kinds)('concurrent edits in the county administration console on $name', (kind) => {
  let t: CountyTestApp;
  let alice: TestClient;
  let bob: TestClient;

  const page = (slug: string) =>
    t.county.db
      .selectFrom('county_pages')
      .selectAll()
      .where('tenant', '=', 'cyc')
      .where('slug', '=', slug)
      .executeTakeFirst();
  const audited = async (action: string, target: string) =>
    (
      await t.county.db
        .selectFrom('audit_log')
        .select(['actor', 'details'])
        .where('action', '=', action)
        .where('target', '=', target)
        .orderBy('id')
        .execute()
    ).map((e) => e.actor);

  const announcement = (title: string) =>
    t.county.db.selectFrom('county_announcements').selectAll().where('title', '=', title).executeTakeFirst();
  const create = async (title: string, body: string) => {
    await alice.get('/cyc/manage/announcements');
    expect((await alice.post('/cyc/manage/announcements', { title, body })).status).toBe(303);
    return (await announcement(title))?.id ?? '';
  };

  beforeAll(async () => {
    t = await startCountyTestApp(kind);
    await insertAccount(t.county.db, {
      tenant: 'cyc',
      username: 'cycadmin2',
      passwordHash: await t.county.hasher.hash(DEMO_PASSWORD),
      email: 'cycadmin2@example.org',
      role: 'county_admin',
      state: 'active',
      unitCode: null,
    });
    alice = await t.signIn('cycadmin', { ip: '203.0.113.70' });
    bob = await t.signIn('cycadmin2', { ip: '203.0.113.71' });
  });
  afterAll(async () => t?.close());

  it('help page: the second save from the same version gets the conflict page with both texts', async () => {
    const formA = await alice.get('/cyc/manage/pages/policy');
    const formB = await bob.get('/cyc/manage/pages/policy');
    expect(versionOf(formA.body)).toBe('0');
    expect(versionOf(formB.body)).toBe('0');

    const first = await alice.post('/cyc/manage/pages/policy', {
      version: '0',
      title: '帳號管理原則',
      body: 'Alice 的版本：帳號限本人使用',
    });
    expect(first.status).toBe(303);
    const conflict = await bob.post('/cyc/manage/pages/policy', {
      version: '0',
      title: '帳號管理原則（Bob）',
      body: 'Bob 的版本 <script>x</script>',
    });
    expect(conflict.status).toBe(409);
    expect(conflict.body).toContain('其他管理者已儲存了新的內容');
    // Bob's text stays in the form; Alice's saved text is shown next to it.
    expect(conflict.body).toMatch(
      /<textarea[^>]*name="body"[^>]*>Bob 的版本 &lt;script&gt;x&lt;\/script&gt;<\/textarea>/,
    );
    expect(conflict.body).toContain('value="帳號管理原則（Bob）"');
    expect(conflict.body).toContain('Alice 的版本：帳號限本人使用');
    expect(conflict.body).toContain('cycadmin 於');
    expect(conflict.body).not.toContain('<script>x');
    expect(versionOf(conflict.body)).toBe('1');
    // Nothing was overwritten, and only the saved edit is audited.
    expect((await page('policy'))?.body_markdown).toBe('Alice 的版本：帳號限本人使用');
    expect(await audited('page.updated', 'policy')).toEqual(['cycadmin']);

    // Having seen both, Bob saves from the current version.
    const merged = await bob.post('/cyc/manage/pages/policy', {
      version: versionOf(conflict.body),
      title: '帳號管理原則',
      body: 'Alice 與 Bob 合併的版本',
    });
    expect(merged.status).toBe(303);
    const saved = await page('policy');
    expect([saved?.version, saved?.body_markdown, saved?.updated_by]).toEqual([
      2,
      'Alice 與 Bob 合併的版本',
      'cycadmin2',
    ]);
    expect(await audited('page.updated', 'policy')).toEqual(['cycadmin', 'cycadmin2']);
    expect((await new TestClient(t.app).get('/cyc/help/policy')).body).toContain('Alice 與 Bob 合併的版本');
  });

  it('help page: sequential edits work, and a save without a valid version overwrites nothing', async () => {
    for (const [i, body] of ['第一版', '第二版', '第三版'].entries()) {
      const form = await alice.get('/cyc/manage/pages/vpn');
      expect(versionOf(form.body)).toBe(String(i));
      expect(
        (await alice.post('/cyc/manage/pages/vpn', { version: versionOf(form.body), title: 'VPN', body }))
          .status,
      ).toBe(303);
    }
    expect((await page('vpn'))?.version).toBe(3);
    for (const version of ['', '2', '-1', 'abc']) {
      const r = await bob.post('/cyc/manage/pages/vpn', { version, title: 'VPN', body: '過時的修改' });
      expect(r.status, version).toBe(409);
      expect(r.body).toContain('過時的修改');
      expect(r.body).toContain('第三版');
    }
    expect((await page('vpn'))?.body_markdown).toBe('第三版');
    // A form with an invalid field keeps the version it was opened with.
    const invalid = await bob.post('/cyc/manage/pages/vpn', { version: '1', title: '', body: '新內容' });
    expect(invalid.status).toBe(400);
    expect(versionOf(invalid.body)).toBe('1');
  });

  it('help page: two saves at the same moment from the same version, exactly one wins', async () => {
    const results = await Promise.all([
      alice.post('/cyc/manage/pages/process', { version: '0', title: '流程', body: '同時 A' }),
      bob.post('/cyc/manage/pages/process', { version: '0', title: '流程', body: '同時 B' }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([303, 409]);
    const saved = await page('process');
    expect(saved?.version).toBe(1);
    expect(results.find((r) => r.status === 409)?.body).toContain(saved?.body_markdown ?? '-');
    expect(await audited('page.updated', 'process')).toHaveLength(1);
  });

  it('announcement: the second save from the same version gets the conflict page; sequential edits work', async () => {
    await alice.get('/cyc/manage/announcements');
    const created = await alice.post('/cyc/manage/announcements', { title: '停機公告', body: '週六停機' });
    expect(created.status).toBe(303);
    const { id } = await t.county.db
      .selectFrom('county_announcements')
      .select('id')
      .where('title', '=', '停機公告')
      .executeTakeFirstOrThrow();
    const url = `/cyc/manage/announcements/${id}`;
    const formA = await alice.get(url);
    const formB = await bob.get(url);
    expect(versionOf(formA.body)).toBe('0');
    expect(versionOf(formB.body)).toBe('0');

    expect((await alice.post(url, { version: '0', title: '停機公告', body: '週六 8:00 停機' })).status).toBe(
      303,
    );
    const conflict = await bob.post(url, {
      version: '0',
      title: '停機公告（更正）',
      body: '週日停機',
      published_at: '2030-01-01T08:00',
    });
    expect(conflict.status).toBe(409);
    expect(conflict.body).toContain('其他管理者已儲存了新的內容');
    expect(conflict.body).toMatch(/<textarea[^>]*name="body"[^>]*>週日停機<\/textarea>/);
    expect(conflict.body).toContain('value="2030-01-01T08:00"');
    expect(conflict.body).toContain('週六 8:00 停機');
    const row = await t.county.db
      .selectFrom('county_announcements')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect([row.title, row.body_markdown, row.version, row.updated_by]).toEqual([
      '停機公告',
      '週六 8:00 停機',
      1,
      'cycadmin',
    ]);
    expect(await audited('announcement.updated', id)).toEqual(['cycadmin']);

    // Sequential edits: each from the version its form showed.
    expect(
      (await bob.post(url, { version: versionOf(conflict.body), title: '停機公告', body: '週日停機' }))
        .status,
    ).toBe(303);
    const next = await alice.get(url);
    expect(versionOf(next.body)).toBe('2');
    expect((await alice.post(url, { version: '2', title: '停機公告', body: '週日 9:00 停機' })).status).toBe(
      303,
    );
    expect(await audited('announcement.updated', id)).toEqual(['cycadmin', 'cycadmin2', 'cycadmin']);
    expect((await new TestClient(t.app).get('/cyc')).body).toContain('週日 9:00 停機');
  });

  it('announcement deleted while being edited: the text is kept, offered as a new announcement', async () => {
    await alice.get('/cyc/manage/announcements');
    await alice.post('/cyc/manage/announcements', { title: '暫時公告', body: '原文' });
    const { id } = await t.county.db
      .selectFrom('county_announcements')
      .select('id')
      .where('title', '=', '暫時公告')
      .executeTakeFirstOrThrow();
    await bob.get(`/cyc/manage/announcements/${id}`);
    await alice.get('/cyc/manage/announcements');
    expect((await alice.post(`/cyc/manage/announcements/${id}/delete`, { version: '0' })).status).toBe(303);
    const r = await bob.post(`/cyc/manage/announcements/${id}`, {
      version: '0',
      title: '暫時公告',
      body: 'Bob 寫了很久的內容',
    });
    expect(r.status).toBe(409);
    expect(r.body).toContain('已被刪除');
    expect(r.body).toContain('Bob 寫了很久的內容');
    expect(r.body).toContain('action="/cyc/manage/announcements"');
  });

  it('announcement: a delete from a list shown before an edit deletes nothing and shows the current text', async () => {
    const id = await create('搬遷公告', '機房搬遷');
    const list = await alice.get('/cyc/manage/announcements');
    expect(deleteVersionOf(list.body, id)).toBe('0');
    const url = `/cyc/manage/announcements/${id}`;
    await bob.get(url);
    expect(
      (await bob.post(url, { version: '0', title: '搬遷公告', body: '機房延後搬遷 <script>y</script>' }))
        .status,
    ).toBe(303);

    const refused = await alice.post(`${url}/delete`, { version: '0' });
    expect(refused.status).toBe(409);
    expect(refused.body).toContain('其他管理者修改了這則公告，因此尚未刪除');
    expect(refused.body).toContain('機房延後搬遷 &lt;script&gt;y');
    expect(refused.body).not.toContain('<script>y');
    expect(refused.body).toContain('cycadmin2 於');
    // Its delete button is for the version now shown.
    expect(deleteVersionOf(refused.body, id)).toBe('1');
    expect((await announcement('搬遷公告'))?.body_markdown).toBe('機房延後搬遷 <script>y</script>');
    expect(await audited('announcement.deleted', id)).toEqual([]);
    // A form without a valid version deletes nothing either.
    for (const version of ['', '-1', 'abc']) {
      expect((await alice.post(`${url}/delete`, { version })).status, version).toBe(409);
    }
    expect(await announcement('搬遷公告')).toBeDefined();

    // In English too.
    const english = await t.signIn('cycadmin', { ip: '203.0.113.72' });
    await english.get('/cyc/manage/announcements?lang=en');
    const refusedEn = await english.post(`${url}/delete`, { version: '0' });
    expect(refusedEn.status).toBe(409);
    expect(refusedEn.body).toContain(
      'Another administrator edited this announcement after you opened the list',
    );

    // Having seen the current text, the administrator deletes it.
    expect(
      (await alice.post(`${url}/delete`, { version: deleteVersionOf(refused.body, id) ?? '' })).status,
    ).toBe(303);
    expect(await announcement('搬遷公告')).toBeUndefined();
    expect(await audited('announcement.deleted', id)).toEqual(['cycadmin']);
    expect((await new TestClient(t.app).get('/cyc')).body).not.toContain('機房延後搬遷');
    expect((await alice.post(`${url}/delete`, { version: '1' })).status).toBe(404);
  });

  it('announcement: a delete and a save at the same moment from the same version, exactly one wins', async () => {
    const id = await create('同時公告', '原文');
    const url = `/cyc/manage/announcements/${id}`;
    await alice.get('/cyc/manage/announcements');
    await bob.get(url);
    const [deleted, saved] = await Promise.all([
      alice.post(`${url}/delete`, { version: '0' }),
      bob.post(url, { version: '0', title: '同時公告', body: '同時修改' }),
    ]);
    expect([deleted.status, saved.status].sort()).toEqual([303, 409]);
    const row = await announcement('同時公告');
    if (deleted.status === 303) {
      expect(row).toBeUndefined();
      expect(saved.body).toContain('已被刪除');
      expect(await audited('announcement.updated', id)).toEqual([]);
    } else {
      expect([row?.version, row?.body_markdown]).toEqual([1, '同時修改']);
      expect(deleted.body).toContain('同時修改');
      expect(await audited('announcement.deleted', id)).toEqual([]);
    }
  });
});
