// The how-to's section 一 in a real browser: register on the county portal, verify the email and
// approve through the demo mailbox, sign in and complete the profile check; with the mistakes the
// how-to warns about (a national ID as username, a wrong check digit) refused on the way.
import { describe, expect, it } from 'vitest';
import {
  type Applicant,
  approveBySchool,
  confirmSchool,
  enterNationalId,
  enterRealName,
  fillRegistration,
  openRegistration,
  PUZI_JUNIOR_HIGH,
  reviewerConfirmsNationalId,
  signInAfterApproval,
  verifyEmail,
} from './steps/county.ts';
import { numberedShots } from './steps/shots.ts';
import { DemoStack } from './steps/stack.ts';

const shot = numberedShots('county-registration');
const APPLICANT: Applicant = {
  username: 'wang.meiling',
  password: 'plum blossom 2026',
  email: 'meiling@example.org',
  school: PUZI_JUNIOR_HIGH,
};

const stack = await DemoStack.forFile();

describe.skipIf(!stack.browser)('county portal: how-to section 一 in Chromium', () => {
  it('registers, verifies, gets approved by the school, signs in and completes the profile', async () => {
    const { demo } = stack;
    const page = await stack.newPage('zh-TW');
    await openRegistration(page, demo, shot);

    // Step 1, first with a national ID as username: refused at the field, the value kept.
    await page.getByLabel(/帳號名稱/).fill('A123456789');
    await page.getByLabel(/^密碼/).fill(APPLICANT.password);
    await page.getByLabel(/確認密碼/).fill(APPLICANT.password);
    await page.getByRole('button', { name: '下一步' }).click();
    expect(await page.textContent('#f-username-error')).toContain('請不要用身分證字號');
    expect(await page.inputValue('#f-username')).toBe('A123456789');
    expect(await page.inputValue('#f-password')).toBe('');
    await shot(page, 'step1-error');

    await fillRegistration(page, APPLICANT, shot, { pickSchoolBySearch: true });
    await verifyEmail(page, demo, APPLICANT, shot);
    await approveBySchool(page, demo, APPLICANT, shot);
    await signInAfterApproval(page, demo, APPLICANT, shot);
    await enterRealName(page, '王美玲', shot);

    // A wrong check digit is refused at the field.
    await page.getByRole('link', { name: '登錄身分證號' }).click();
    await page.getByLabel(/身分證號/).fill('A123456788');
    await page.getByRole('button', { name: '儲存' }).click();
    expect(await page.textContent('#f-national_id-error')).toContain('檢查碼不正確');
    await enterNationalId(page, 'A123456789', shot);
    await reviewerConfirmsNationalId(page, demo, APPLICANT, shot);
    await confirmSchool(page, 'A123456789', shot);
    await page.context().close();
  });
});
