// How-to section 二: the first login to the education cloud through the county portal, creating
// the cloud account (with 「我不喜歡上面的帳號」), then later logins with the cloud account directly
// and through the (now linked) county account.
import { describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../src/platform/federation/seed-data.ts';
import {
  chooseCloudName,
  finishCloudAccount,
  openCloudLogin,
  signInWithCloudAccount,
  signInWithCounty,
  startCloudAccount,
} from './steps/cloud.ts';
import { clickMailLink, openMail } from './steps/mailbox.ts';
import { ANSWER } from './steps/page-checks.ts';
import { numberedShots } from './steps/shots.ts';
import { DemoStack } from './steps/stack.ts';

const shot = numberedShots('cloud-first-login');
const CLOUD_PASSWORD = 'Chiayi-cloud-2026';
const BACKUP_EMAIL = 'wang.backup@example.org';
const stack = await DemoStack.forFile();
const newPage = () => stack.newPage('zh-TW');

describe.skipIf(!stack.browser)('education cloud, how-to section 二', () => {
  it('teacher01 logs in through 嘉義縣 for the first time and creates an account', async () => {
    const { demo } = stack;
    const page = await newPage();
    await openCloudLogin(page, demo, shot);
    const consented = await signInWithCounty(
      page,
      { county: '嘉義縣', username: 'teacher01', password: DEMO_PASSWORD },
      shot,
    );
    expect(consented).toBe(true);

    expect(await startCloudAccount(page, '王小明', shot)).toBe('teacher01');
    await page.getByRole('link', { name: '我不喜歡上面的帳號' }).click();
    await page.locator('#name').pressSequentially('admin');
    await expect.poll(() => page.locator('#name-status').textContent(), ANSWER).toContain('保留給系統使用');
    await chooseCloudName(page, 'wang.xiaoming', shot);
    await finishCloudAccount(
      page,
      { email: 'wang.xiaoming@mail.edu.tw', password: CLOUD_PASSWORD, backupEmail: BACKUP_EMAIL },
      shot,
    );

    // The backup email is confirmed by the link in the mail.
    await openMail(
      page,
      demo,
      { to: BACKUP_EMAIL, subject: '請確認您的教育雲備用電子郵件' },
      shot,
      'mail-backup',
    );
    await clickMailLink(page, 'backup-email/verify');
    expect(await page.content()).toContain('備用電子郵件已確認');
    await page.close();
  });

  it('logs in again with the cloud account directly (以後不用了)', async () => {
    const { demo } = stack;
    const page = await newPage();
    await page.goto(`${demo.urls.cloud}/login`);
    await signInWithCloudAccount(page, { name: 'wang.xiaoming@mail.edu.tw', password: CLOUD_PASSWORD }, shot);
    expect(await page.locator('#cloud-email').textContent()).toBe('wang.xiaoming@mail.edu.tw');
    expect(await page.content()).toContain('嘉義縣：teacher01');
    await shot(page, 'returning-cloud-account');

    const teacher02 = await newPage();
    await teacher02.goto(`${demo.urls.cloud}/login`);
    await signInWithCloudAccount(teacher02, { name: 'teacher02', password: DEMO_PASSWORD }, shot);
    expect(await teacher02.locator('#cloud-email').textContent()).toBe('teacher02@mail.edu.tw');
  });

  it('logs in again through the linked county account', async () => {
    const { demo } = stack;
    const page = await newPage();
    await openCloudLogin(page, demo, shot);
    await signInWithCounty(page, { county: '嘉義縣', username: 'teacher01', password: DEMO_PASSWORD }, shot);
    await page.locator('#cloud-email').waitFor();
    expect(await page.locator('#cloud-email').textContent()).toBe('wang.xiaoming@mail.edu.tw');
    await shot(page, 'returning-county');

    const teacher02 = await newPage();
    await openCloudLogin(teacher02, demo, shot);
    await signInWithCounty(
      teacher02,
      { county: '臺南市', username: 'teacher02', password: DEMO_PASSWORD },
      shot,
    );
    await teacher02.locator('#cloud-email').waitFor();
    expect(await teacher02.locator('#cloud-email').textContent()).toBe('teacher02@mail.edu.tw');
  });
});
