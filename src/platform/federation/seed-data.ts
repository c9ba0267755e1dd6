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

export const DEMO_TENANTS: DemoTenant[] = [
  {
    code: 'cyc',
    name: '嘉義縣',
    portalName: '嘉義縣教師資訊應用服務入口',
    mailDomain: 'mail.cyc.edu.tw',
    units: [
      { code: '454503', name: '朴子國民中學', abbreviation: '朴子國中', mailbox: 'pzjh@mail.cyc.edu.tw' },
      { code: '454501', name: '太保國民中學', abbreviation: '太保國中', mailbox: 'tbjh@mail.cyc.edu.tw' },
      { code: '454504', name: '東石國民中學', abbreviation: '東石國中', mailbox: 'dsjh@mail.cyc.edu.tw' },
      { code: '454505', name: '布袋國民中學', abbreviation: '布袋國中', mailbox: 'bdjh@mail.cyc.edu.tw' },
      { code: '454509', name: '民雄國民中學', abbreviation: '民雄國中', mailbox: 'mhjh@mail.cyc.edu.tw' },
      {
        code: '454517',
        name: '竹崎高級中學國中部',
        abbreviation: '竹崎高中',
        mailbox: 'ccsh@mail.cyc.edu.tw',
      },
      { code: '454601', name: '朴子國民小學', abbreviation: '朴子國小', mailbox: 'pzes@mail.cyc.edu.tw' },
      { code: '454602', name: '大同國民小學', abbreviation: '大同國小', mailbox: 'dtes@mail.cyc.edu.tw' },
      { code: '454603', name: '竹村國民小學', abbreviation: '竹村國小', mailbox: 'aljes@mail.cyc.edu.tw' },
      { code: '454612', name: '太保國民小學', abbreviation: '太保國小', mailbox: 'tbes@mail.cyc.edu.tw' },
      { code: '454620', name: '民雄國民小學', abbreviation: '民雄國小', mailbox: 'mhes@mail.cyc.edu.tw' },
      { code: '454631', name: '水上國民小學', abbreviation: '水上國小', mailbox: 'sses@mail.cyc.edu.tw' },
      {
        code: '450000',
        name: '嘉義縣教育網路中心',
        abbreviation: '縣網中心',
        mailbox: 'center@mail.cyc.edu.tw',
      },
    ],
  },
  {
    code: 'tn',
    name: '臺南市',
    portalName: '臺南市教師資訊應用服務入口',
    mailDomain: 'mail.tn.edu.tw',
    units: [
      {
        code: '114620',
        name: '臺南市立大成國民中學',
        abbreviation: '大成國中',
        mailbox: 'dcjh@mail.tn.edu.tw',
      },
      {
        code: '213501',
        name: '臺南市立建興國民中學',
        abbreviation: '建興國中',
        mailbox: 'csjh@mail.tn.edu.tw',
      },
      {
        code: '213502',
        name: '臺南市立中山國民中學',
        abbreviation: '中山國中',
        mailbox: 'csmjh@mail.tn.edu.tw',
      },
      {
        code: '213503',
        name: '臺南市立後甲國民中學',
        abbreviation: '後甲國中',
        mailbox: 'hcjh@mail.tn.edu.tw',
      },
      {
        code: '213505',
        name: '臺南市立金城國民中學',
        abbreviation: '金城國中',
        mailbox: 'kcjh@mail.tn.edu.tw',
      },
      {
        code: '213601',
        name: '臺南市立勝利國民小學',
        abbreviation: '勝利國小',
        mailbox: 'slps@mail.tn.edu.tw',
      },
      {
        code: '213602',
        name: '臺南市立博愛國民小學',
        abbreviation: '博愛國小',
        mailbox: 'paps@mail.tn.edu.tw',
      },
      {
        code: '213603',
        name: '臺南市立東光國民小學',
        abbreviation: '東光國小',
        mailbox: 'tkps@mail.tn.edu.tw',
      },
      {
        code: '213604',
        name: '臺南市立大同國民小學',
        abbreviation: '大同國小',
        mailbox: 'dtps@mail.tn.edu.tw',
      },
      {
        code: '213605',
        name: '臺南市立永福國民小學',
        abbreviation: '永福國小',
        mailbox: 'yfps@mail.tn.edu.tw',
      },
      {
        code: '213606',
        name: '臺南市立忠義國民小學',
        abbreviation: '忠義國小',
        mailbox: 'cyps@mail.tn.edu.tw',
      },
      {
        code: '213607',
        name: '臺南市立進學國民小學',
        abbreviation: '進學國小',
        mailbox: 'chps@mail.tn.edu.tw',
      },
      {
        code: '210000',
        name: '臺南市教育網路中心',
        abbreviation: '市網中心',
        mailbox: 'center@mail.tn.edu.tw',
      },
    ],
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
