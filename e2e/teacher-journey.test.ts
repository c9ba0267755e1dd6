// The rough edges of a new teacher's journey: the way back to the cloud login after the profile
// check, a cancelled sign-in, names, times.
import { describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../src/platform/federation/seed-data.ts';
import { consentIfAsked, openCloudLogin, signInWithCloudAccount, startCloudAccount } from './steps/cloud.ts';
import {
  type Applicant,
  freshNationalId,
  PUZI_JUNIOR_HIGH,
  registerAndApprove,
  reviewerConfirmsNationalId,
} from './steps/county.ts';
import { clickMailLink, openMail } from './steps/mailbox.ts';
import { numberedShots } from './steps/shots.ts';
import { DemoStack } from './steps/stack.ts';
import { openWorkspacePortal } from './steps/workspace.ts';

const shot = numberedShots('teacher-journey');
const RECOVERED_PASSWORD = 'Tainan recovered 2026';
const BACKUP = 'teacher02.backup@example.org';

const stack = await DemoStack.forFile();
const newPage = () => stack.newPage('zh-TW');

describe.skipIf(!stack.browser)('a new teacher on the way to the education cloud', () => {
  it('comes back to the cloud login after completing the profile check it was sent to', async () => {
    const page = await newPage();
    const teacher: Applicant = {
      username: 'chen.meiling',
      password: 'Puzi harbour 2026',
      email: 'meiling.chen@example.org',
      school: PUZI_JUNIOR_HIGH,
    };
    await registerAndApprove(page, stack.demo, teacher, shot);

    // Starting at the cloud: the county sends the incomplete profile to its check first.
    await openCloudLogin(page, stack.demo, shot);
    await page.getByRole('link', { name: '嘉義縣' }).click();
    await page.locator('#login-username').fill(teacher.username);
    await page.locator('#login-password').fill(teacher.password);
    await page.getByRole('button', { name: '登入', exact: true }).click();
    await page.waitForURL(/\/cyc\/profile\/check\?next=/);
    expect(await page.textContent('main')).toContain('補齊以下資料後，將繼續您剛才的登入。');
    await shot(page, 'profile-check-pending');

    await page.getByRole('link', { name: '編輯帳號資料' }).click();
    await page.getByLabel(/真實姓名/).fill('陳美玲');
    await page.getByRole('button', { name: '儲存' }).click();
    await page.waitForURL(/\/cyc\/profile\/check\?next=/);

    await page.getByRole('link', { name: '登錄身分證號' }).click();
    await page.getByLabel(/身分證號/).fill(freshNationalId('Q22200123'));
    await page.getByRole('button', { name: '儲存' }).click();
    await page.waitForURL(/\/cyc\/profile\/check\?next=/);
    // The number waits for the school's reviewer, who checks the teacher's document meanwhile.
    await reviewerConfirmsNationalId(page, stack.demo, teacher, shot);
    await page.reload();

    // The last step completes the profile: the cloud login goes on where it stopped.
    await page.getByRole('button', { name: '確認資料正確' }).click();
    await consentIfAsked(page, shot, 'county-consent');
    expect(await startCloudAccount(page, '陳美玲', shot)).toBe(teacher.username);
    await page.context().close();
  }, 120_000);

  it("a teacher's own cancel at the county is a calm page with 重新登入, not a refusal", async () => {
    const page = await newPage();
    const calm = async (step: string) => {
      await page.getByRole('heading', { name: '已取消登入' }).waitFor();
      const text = (await page.textContent('main')) ?? '';
      expect(text).toContain('您在嘉義縣取消了這次登入');
      expect(text).not.toContain('拒絕了');
      expect(text).not.toContain('停用');
      expect(text).not.toMatch(/End-User|access_denied/);
      await shot(page, step);
    };
    await openCloudLogin(page, stack.demo, shot);
    await page.getByRole('link', { name: '嘉義縣' }).click();
    await page.getByRole('button', { name: '取消，回到應用程式' }).click();
    await calm('cancelled-login');

    // 重新登入 goes to the county again; there 拒絕 on the consent is a cancel too.
    await page.getByRole('link', { name: '重新登入' }).click();
    await page.locator('#login-username').fill('teacher01');
    await page.locator('#login-password').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: '登入', exact: true }).click();
    await page.getByRole('button', { name: '拒絕' }).click();
    await calm('denied-consent');
    await page.context().close();
  }, 60_000);

  it('a teacher without a backup email recovers the cloud password through the county', async () => {
    const page = await newPage();
    await page.goto(`${stack.demo.urls.cloud}/login`);
    await page.getByRole('link', { name: '忘記密碼？' }).click();
    await page.getByRole('heading', { name: '沒有備用電子郵件？' }).waitFor();
    await shot(page, 'forgot-county');
    await page.getByRole('link', { name: '以臺南市帳號登入並設定新密碼' }).click();
    await page.locator('#login-username').fill('teacher02');
    await page.locator('#login-password').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: '登入', exact: true }).click();
    await consentIfAsked(page, shot, 'county-consent');
    await page.waitForURL(/\/account/);
    // The county proved the person: no current password asked.
    expect(await page.textContent('main')).toContain('您剛以縣市帳號登入確認了身分');
    expect(await page.locator('#current').count()).toBe(0);
    await page.locator('#new-password').fill(RECOVERED_PASSWORD);
    await page.locator('#new-password-confirm').fill(RECOVERED_PASSWORD);
    await shot(page, 'recover-password');
    await page.getByRole('button', { name: '變更密碼' }).click();
    expect(await page.textContent('main')).toContain('密碼已變更');

    // Unlinking the only county account asks first; 取消 keeps it.
    await page.getByRole('button', { name: '解除連結' }).click();
    await page.getByRole('heading', { name: '確定解除連結？' }).waitFor();
    expect(await page.textContent('main')).toContain('這是您唯一連結的縣市帳號（臺南市：teacher02）');
    await shot(page, 'unlink-confirm');
    await page.getByRole('link', { name: '取消' }).click();
    expect(await page.textContent('main')).toContain('臺南市：teacher02');

    // A backup email confirmed from another browser (a mail program) answers there.
    await page.locator('#email').fill(BACKUP);
    await page.locator('#email_confirm').fill(BACKUP);
    await page.getByRole('button', { name: '設定備用電子郵件' }).click();
    const mail = await newPage();
    await openMail(mail, stack.demo, { to: BACKUP, subject: '備用電子郵件' }, shot, 'mail-backup');
    await clickMailLink(mail, 'backup-email/verify');
    await mail.getByRole('heading', { name: '備用電子郵件已確認。' }).waitFor();
    expect(await mail.textContent('main')).toContain(`${BACKUP} 已確認為您的教育雲端帳號備用電子郵件`);
    await shot(mail, 'backup-confirmed-elsewhere');
    await mail.context().close();

    // The new password signs in.
    const later = await newPage();
    await later.goto(`${stack.demo.urls.cloud}/login`);
    await signInWithCloudAccount(later, { name: 'teacher02', password: RECOVERED_PASSWORD }, shot);
    await later.waitForURL(/\/account/);
    // 拒絕 on the cloud's consent for the activation portal is a cancel there too.
    await openWorkspacePortal(later, stack.demo, shot);
    await later.getByRole('button', { name: '拒絕' }).click();
    await later.getByRole('heading', { name: '已取消登入' }).waitFor();
    expect(await later.textContent('main')).not.toMatch(/登入失敗|End-User|access_denied/);
    await shot(later, 'portal-cancelled');
    await later.getByRole('link', { name: '重新登入' }).click();
    await later.getByRole('button', { name: '拒絕' }).waitFor();
    await later.context().close();
    await page.context().close();
  }, 90_000);
});
