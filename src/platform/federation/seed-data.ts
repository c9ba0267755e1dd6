/**
 * Demo data shared by the roles' demo seeds. Each role reads only what it would know in real life:
 * the county portals their own schools and teachers, the cloud the county connections, etc.
 */
export const DEMO_PASSWORD = 'EduGate-demo-2026';

export interface DemoUnit {
  code: string;
  name: string;
  abbreviation: string;
  mailbox: string;
}

export interface DemoTenant {
  code: 'cyc' | 'tn';
  name: string;
  portalName: string;
  mailDomain: string;
  units: DemoUnit[];
}

/** A county's units, one row each: code, name, abbreviation, official mailbox. */
function units(rows: [code: string, name: string, abbreviation: string, mailbox: string][]): DemoUnit[] {
  return rows.map(([code, name, abbreviation, mailbox]) => ({ code, name, abbreviation, mailbox }));
}

export const DEMO_TENANTS: DemoTenant[] = [
  {
    code: 'cyc',
    name: '嘉義縣',
    portalName: '嘉義縣教師資訊應用服務入口',
    mailDomain: 'mail.cyc.edu.tw',
    units: units([
      ['454503', '朴子國民中學', '朴子國中', 'pzjh@mail.cyc.edu.tw'],
      ['454501', '太保國民中學', '太保國中', 'tbjh@mail.cyc.edu.tw'],
      ['454504', '東石國民中學', '東石國中', 'dsjh@mail.cyc.edu.tw'],
      ['454505', '布袋國民中學', '布袋國中', 'bdjh@mail.cyc.edu.tw'],
      ['454509', '民雄國民中學', '民雄國中', 'mhjh@mail.cyc.edu.tw'],
      ['454517', '竹崎高級中學國中部', '竹崎高中', 'ccsh@mail.cyc.edu.tw'],
      ['454601', '朴子國民小學', '朴子國小', 'pzes@mail.cyc.edu.tw'],
      ['454602', '大同國民小學', '大同國小', 'dtes@mail.cyc.edu.tw'],
      ['454603', '竹村國民小學', '竹村國小', 'aljes@mail.cyc.edu.tw'],
      ['454612', '太保國民小學', '太保國小', 'tbes@mail.cyc.edu.tw'],
      ['454620', '民雄國民小學', '民雄國小', 'mhes@mail.cyc.edu.tw'],
      ['454631', '水上國民小學', '水上國小', 'sses@mail.cyc.edu.tw'],
      ['450000', '嘉義縣教育網路中心', '縣網中心', 'center@mail.cyc.edu.tw'],
    ]),
  },
  {
    code: 'tn',
    name: '臺南市',
    portalName: '臺南市教師資訊應用服務入口',
    mailDomain: 'mail.tn.edu.tw',
    units: units([
      ['114620', '臺南市立大成國民中學', '大成國中', 'dcjh@mail.tn.edu.tw'],
      ['213501', '臺南市立建興國民中學', '建興國中', 'csjh@mail.tn.edu.tw'],
      ['213502', '臺南市立中山國民中學', '中山國中', 'csmjh@mail.tn.edu.tw'],
      ['213503', '臺南市立後甲國民中學', '後甲國中', 'hcjh@mail.tn.edu.tw'],
      ['213505', '臺南市立金城國民中學', '金城國中', 'kcjh@mail.tn.edu.tw'],
      ['213601', '臺南市立勝利國民小學', '勝利國小', 'slps@mail.tn.edu.tw'],
      ['213602', '臺南市立博愛國民小學', '博愛國小', 'paps@mail.tn.edu.tw'],
      ['213603', '臺南市立東光國民小學', '東光國小', 'tkps@mail.tn.edu.tw'],
      ['213604', '臺南市立大同國民小學', '大同國小', 'dtps@mail.tn.edu.tw'],
      ['213605', '臺南市立永福國民小學', '永福國小', 'yfps@mail.tn.edu.tw'],
      ['213606', '臺南市立忠義國民小學', '忠義國小', 'cyps@mail.tn.edu.tw'],
      ['213607', '臺南市立進學國民小學', '進學國小', 'chps@mail.tn.edu.tw'],
      ['210000', '臺南市教育網路中心', '市網中心', 'center@mail.tn.edu.tw'],
    ]),
  },
];

export interface DemoAccount {
  username: string;
  /** What the account is, as a key of the landing page's catalogue (`landing.account_role.*`). */
  role: 'county_admin' | 'teacher' | 'reviewer' | 'cloud_admin';
  /**
   * Where it signs in: a county portal (its code) and unit, or the cloud's roles
   * (`landing.where.*`).
   */
  where: { tenant: 'cyc' | 'tn'; unit?: string } | 'cloud';
  /** A key of the landing page's catalogue (`landing.account_note.*`), or none. */
  note?: 'first_login' | 'cloud_linked' | 'every_school';
}

/** The accounts listed on the landing page and in the README. */
export const DEMO_ACCOUNTS: DemoAccount[] = [
  { username: 'cycadmin', role: 'county_admin', where: { tenant: 'cyc' } },
  { username: 'tnadmin', role: 'county_admin', where: { tenant: 'tn' } },
  { username: 'teacher01', role: 'teacher', where: { tenant: 'cyc', unit: '454503' }, note: 'first_login' },
  { username: 'teacher02', role: 'teacher', where: { tenant: 'tn', unit: '114620' }, note: 'cloud_linked' },
  { username: 'rv-pzjh', role: 'reviewer', where: { tenant: 'cyc', unit: '454503' }, note: 'every_school' },
  { username: 'rv-dcjh', role: 'reviewer', where: { tenant: 'tn', unit: '114620' } },
  { username: 'cloudadmin', role: 'cloud_admin', where: 'cloud' },
];

export interface DemoCountyAccount {
  /** Fixed id: the county OIDC `sub`, so the cloud's demo seed can link teacher02. */
  id: string;
  tenant: 'cyc' | 'tn';
  username: string;
  kind: 'teacher' | 'county-admin';
  realName: string;
  familyName: string;
  givenName: string;
  nationalId: string;
  unitCode: string;
  email: string;
  titles: string[];
}

export const DEMO_COUNTY_ACCOUNTS: DemoCountyAccount[] = [
  {
    id: '6f1c1a52-0c7e-4d8e-9a51-1b2f3c4d5e01',
    tenant: 'cyc',
    username: 'cycadmin',
    kind: 'county-admin',
    realName: '林茂誠',
    familyName: '林',
    givenName: '茂誠',
    nationalId: 'Q123456782',
    unitCode: '450000',
    email: 'cycadmin@example.org',
    titles: ['教師', '網管'],
  },
  {
    id: '6f1c1a52-0c7e-4d8e-9a51-1b2f3c4d5e02',
    tenant: 'tn',
    username: 'tnadmin',
    kind: 'county-admin',
    realName: '陳怡君',
    familyName: '陳',
    givenName: '怡君',
    nationalId: 'R223456785',
    unitCode: '210000',
    email: 'tnadmin@example.org',
    titles: ['教師', '網管'],
  },
  {
    id: '6f1c1a52-0c7e-4d8e-9a51-1b2f3c4d5e11',
    tenant: 'cyc',
    username: 'teacher01',
    kind: 'teacher',
    realName: '王小明',
    familyName: '王',
    givenName: '小明',
    nationalId: 'A128765434',
    unitCode: '454503',
    email: 'teacher01@example.org',
    titles: ['教師', '資訊組長'],
  },
  {
    id: '6f1c1a52-0c7e-4d8e-9a51-1b2f3c4d5e12',
    tenant: 'tn',
    username: 'teacher02',
    kind: 'teacher',
    realName: '吳弘凱',
    familyName: '吳',
    givenName: '弘凱',
    nationalId: 'D220112230',
    unitCode: '114620',
    email: 'teacher02@example.org',
    titles: ['教師', '資訊組長'],
  },
];
