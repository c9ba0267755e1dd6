import type { Selectable } from 'kysely';
import { audit, type CountyTx } from '../db.ts';
import type { CountyTables } from '../schema.ts';

export type HelpPage = Pick<
  Selectable<CountyTables['county_pages']>,
  'slug' | 'title' | 'body_markdown' | 'version' | 'updated_by'
> & { updated_at: Date | null };

/** The editable pages of a portal: account help pages, the registration terms and the VPN how-to. */
export const PAGE_SLUGS = ['notice', 'policy', 'process', 'terms', 'vpn', 'service'] as const;
export type PageSlug = (typeof PAGE_SLUGS)[number];

export function isPageSlug(value: string): value is PageSlug {
  return (PAGE_SLUGS as readonly string[]).includes(value);
}

const RULES = (county: string) => [
  `本系統帳號僅供${county}縣屬各中小學及相關教育單位教職員申請，以作為其個人存取教育網路服務資源之身份識別。`,
  '本系統使用者每人限註冊一組帳號，不得冒用他人身份申請或登入，否則應負擔行政及法律責任。',
  '本系統使用者之真實身份由其服務單位依權責自行認定，並經由電子郵件確認程序進行審核，若有審核不實情事，由該單位負責。',
  '本系統使用者帳號及密碼歸屬於該使用者個人持有，請妥善保管，不得任意將帳號借予他人使用。',
  '本系統使用者職務於本縣轄屬服務單位間異動時，一律延用原有帳號密碼，無須重新申請；於本縣轄屬單位調出或離職/退休時註銷停用。前述異動事項除由使用者及其服務單位申報外，並由縣網中心定期執行清查以確認使用權限。',
  '本系統管理人員對於使用者之帳號、密碼及經由本系統存取各項資源之使用記錄資料，除因應司法犯罪等事件調查、經有關機關循正式程序調閱者外，應依法予以保密。',
  '本系統管理人員發現使用者有違反法令、學術網路管理規範及各項服務系統使用規定，或其他可能遭受不當利用情事時，得採取必要之措施並通知該帳號所屬之服務單位。',
];

/** Built-in text of each page until a county administrator edits it (version 0). */
export function defaultPage(slug: PageSlug, countyName: string, portalName: string): HelpPage {
  const rules = RULES(countyName)
    .map((rule, i) => `${i + 1}. ${rule}`)
    .join('\n');
  const pages: Record<PageSlug, { title: string; body: string }> = {
    notice: {
      title: '使用者注意事項',
      body: `${portalName}帳號申請與使用注意事項\n\n${rules}`,
    },
    terms: {
      title: '註冊條款',
      body: `請仔細閱讀並遵守下列註冊條款：\n\n${rules}`,
    },
    policy: {
      title: '帳號管理原則',
      body: [
        '- 本站帳號限由教師本人申請，請服務單位確實檢核申請人身份，並禁止共用。',
        '- 本站帳號歸屬申請人持有，服務單位異動(調校)時隨使用者移轉，故請勿以學校名稱作為帳號。',
        '- 不要用身分證字號或行動電話號碼等個人資料作為帳號。',
        '- 離職、退休或調出本縣時，帳號註銷停用。',
        '- 縣網中心定期清查帳號，未經服務單位確認之帳號將暫停使用。',
      ].join('\n'),
    },
    process: {
      title: '帳號申請流程',
      body: [
        '1. 閱讀使用者注意事項，點選「我要申請本站帳號」。',
        '2. 步驟一：輸入帳號(5至15個字符)及密碼(至少8個字符)。',
        '3. 步驟二：輸入個人電子郵件，並至信箱點選驗證連結。',
        '4. 步驟三：詳閱並同意服務條款。',
        '5. 步驟四：選擇服務單位，系統會寄信到該單位的公務信箱。',
        '6. 服務單位審核通過後，您會收到通知信，即可登入並「填寫基本資料」(OpenID認證資料檢核)。',
      ].join('\n'),
    },
    vpn: {
      title: 'VPN連線服務使用說明',
      body: [
        '在校外需要存取校內或縣網資源時，可使用 VPN 連線服務。',
        '',
        '1. 下載並安裝縣網中心公告的 VPN 用戶端程式。',
        '2. 以本站帳號及密碼登入。',
        '3. 使用完畢請中斷連線。',
        '',
        '如有問題請洽縣網中心。',
      ].join('\n'),
    },
    service: {
      title: `${portalName}服務說明`,
      body: [
        '*本站帳號限由教師本人申請，請服務單位確實檢核申請人身份，並禁止共用。',
        '',
        '*本站帳號歸屬申請人持有，服務單位異動(調校)時隨使用者移轉，故請勿以學校名稱作為帳號。',
      ].join('\n'),
    },
  };
  const page = pages[slug];
  return {
    slug,
    title: page.title,
    body_markdown: page.body,
    version: 0,
    updated_by: null,
    updated_at: null,
  };
}

export async function getPage(
  db: CountyTx,
  tenant: { code: string; name: string; portal_name: string },
  slug: PageSlug,
): Promise<HelpPage> {
  const row = await db
    .selectFrom('county_pages')
    .select(['slug', 'title', 'body_markdown', 'version', 'updated_by', 'updated_at'])
    .where('tenant', '=', tenant.code)
    .where('slug', '=', slug)
    .executeTakeFirst();
  return row ?? defaultPage(slug, tenant.name, tenant.portal_name);
}

/**
 * Saves a page edited from version `basedOn` as version `basedOn + 1`, with its audit record, in the
 * caller's transaction. Writes nothing and returns undefined when someone saved it in between.
 */
export async function savePage(
  db: CountyTx,
  tenant: string,
  slug: PageSlug,
  input: { title: string; body: string; actor: string; ip: string | null; basedOn: number },
): Promise<number | undefined> {
  const version = input.basedOn + 1;
  // The version check is part of the write, so of two saves from the same version only one wins.
  const saved =
    input.basedOn === 0
      ? await db
          .insertInto('county_pages')
          .values({
            tenant,
            slug,
            title: input.title,
            body_markdown: input.body,
            version,
            updated_by: input.actor,
          })
          .onConflict((oc) => oc.columns(['tenant', 'slug']).doNothing())
          .returning('version')
          .executeTakeFirst()
      : await db
          .updateTable('county_pages')
          .set({
            title: input.title,
            body_markdown: input.body,
            version,
            updated_by: input.actor,
            updated_at: new Date(),
          })
          .where('tenant', '=', tenant)
          .where('slug', '=', slug)
          .where('version', '=', input.basedOn)
          .returning('version')
          .executeTakeFirst();
  if (!saved) return undefined;
  invalidateContent(tenant);
  await audit(db, {
    tenant,
    actor: input.actor,
    action: 'page.updated',
    target: slug,
    ip: input.ip,
    details: { version },
  });
  return version;
}

export type Announcement = Selectable<CountyTables['county_announcements']>;

export function listAnnouncements(db: CountyTx, tenant: string, limit = 20): Promise<Announcement[]> {
  return db
    .selectFrom('county_announcements')
    .selectAll()
    .where('tenant', '=', tenant)
    .where('published_at', '<=', new Date())
    .orderBy('published_at', 'desc')
    .limit(limit)
    .execute();
}

// The home page is the busiest page: its content is kept in memory for a few seconds per tenant
// (an edit on this node shows at once; other nodes follow within the TTL).
const CONTENT_TTL_MS = 10_000;
const contentCache = new Map<string, { at: number; value: Promise<unknown> }>();

export function cachedContent<T>(key: string, load: () => Promise<T>): Promise<T> {
  const hit = contentCache.get(key);
  if (hit && Date.now() - hit.at < CONTENT_TTL_MS) return hit.value as Promise<T>;
  const value = load();
  contentCache.set(key, { at: Date.now(), value });
  value.catch(() => contentCache.delete(key));
  return value;
}

export function invalidateContent(tenant: string): void {
  for (const key of contentCache.keys()) if (key.startsWith(`${tenant}:`)) contentCache.delete(key);
}
