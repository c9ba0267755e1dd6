import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { listJobs } from '../../platform/jobs/queue.ts';
import type { RoleContext } from '../../platform/runtime/role.ts';
import {
  type CloudProfile,
  rememberProfile,
  requestActivation,
  setCloudState,
} from '../activation/accounts.ts';
import type { WorkspaceTables } from '../schema.ts';
import { type ProvisioningRig, runJobsToCompletion, startProvisioningRig } from '../testing.ts';
import { DirectoryFailure } from './directory-client.ts';
import { createProvisioning } from './engine.ts';
import { ACTIVATE_JOB } from './jobs.ts';
import { type Db, reconcileAndReport } from './test-helpers.ts';

let rig: ProvisioningRig;
let ctx: RoleContext<WorkspaceTables>;
let db: Db;
let n = 0;

interface DirectoryUser {
  primaryEmail: string;
  suspended: boolean;
  orgUnitPath: string;
  externalIds: Array<{ value: string; customType?: string }>;
}

async function googleUsers(): Promise<DirectoryUser[]> {
  return ((await rig.googleAdmin('GET', '/users')) as { users: DirectoryUser[] }).users;
}

function teacher(): CloudProfile {
  n += 1;
  return {
    sub: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    username: `teacher${n}`,
    email: `teacher${n}@mail.edu.tw`,
    name: `王小明${n}`,
    givenName: '小明',
    familyName: '王',
    schoolCode: '454503',
    county: null,
    state: 'active',
  };
}

async function activate(profile = teacher()) {
  await rememberProfile(db, profile, rig.config.workspaceDomain);
  await requestActivation(db, profile.sub, profile.username, null);
  return profile;
}

async function account(sub: string) {
  return db
    .selectFrom('workspace_accounts')
    .selectAll()
    .where('cloud_sub', '=', sub)
    .executeTakeFirstOrThrow();
}

async function usersFor(sub: string) {
  return (await googleUsers()).filter((u) => u.externalIds.some((id) => id.value === sub));
}

beforeAll(async () => {
  rig = await startProvisioningRig();
  ctx = rig.workspace.ctx;
  db = ctx.db;
  await db
    .insertInto('workspace_schools')
    .values({ code: '454503', county: 'cyc', name: '朴子國民中學' })
    .execute();
});
afterAll(async () => rig?.close());
beforeEach(async () => {
  await rig.googleAdmin('DELETE', '/faults');
  createProvisioning(ctx);
});

describe('activation against the Google stand-in', () => {
  it('creates name@go.edu.tw with names, org unit /county/school, the external id and no usable password', async () => {
    const profile = await activate();
    await runJobsToCompletion(rig.workspace.ctx);
    const row = await account(profile.sub);
    expect(row.state).toBe('active');
    expect(row.google_email).toBe(`${profile.username}@go.edu.tw`);
    const [user, ...others] = await usersFor(profile.sub);
    expect(others).toHaveLength(0);
    expect(user).toMatchObject({
      primaryEmail: `${profile.username}@go.edu.tw`,
      orgUnitPath: '/cyc/454503',
      suspended: false,
      name: { givenName: '小明', familyName: '王' },
    });
    expect(user?.externalIds[0]).toMatchObject({ customType: 'edugate-cloud-sub', value: profile.sub });
  });

  it('pressing the button twice makes one job and one user', async () => {
    const profile = await activate();
    await requestActivation(db, profile.sub, profile.username, null);
    const jobs = (await listJobs(db, { type: ACTIVATE_JOB })).filter((j) => j.payload.sub === profile.sub);
    expect(jobs).toHaveLength(1);
    await runJobsToCompletion(rig.workspace.ctx);
    expect(await usersFor(profile.sub)).toHaveLength(1);
  });

  const faults: Array<[string, Record<string, unknown>]> = [
    ['403 userRateLimitExceeded', { kind: 'userRateLimitExceeded', method: 'users.insert', count: 2 }],
    ['403 quotaExceeded', { kind: 'quotaExceeded', method: '*', count: 3 }],
    [
      '429 with Retry-After',
      { kind: 'rateLimitExceeded429', method: 'users.get', count: 2, retryAfterSeconds: 7 },
    ],
    ['500 backendError', { kind: 'backendError500', method: 'users.insert', count: 2 }],
    ['503 with Retry-After', { kind: 'serviceUnavailable503', method: '*', count: 2, retryAfterSeconds: 3 }],
    [
      'a lost response after the insert committed',
      { kind: 'loseResponse', method: 'users.insert', count: 1 },
    ],
    ['lost responses on insert and on the get after it', { kind: 'loseResponse', method: '*', count: 3 }],
  ];
  for (const [name, fault] of faults) {
    it(`ends with exactly one Google user under ${name}`, async () => {
      await rig.googleAdmin('POST', '/faults', fault);
      const profile = await activate();
      await runJobsToCompletion(rig.workspace.ctx);
      expect((await account(profile.sub)).state).toBe('active');
      expect(await usersFor(profile.sub)).toHaveLength(1);
      const [job] = (await listJobs(db, { type: ACTIVATE_JOB })).filter((j) => j.payload.sub === profile.sub);
      expect(job?.state).toBe('done');
      expect(job?.attempts).toBeGreaterThan(1);
    });
  }

  it('honours Retry-After when Google sends it', async () => {
    await rig.googleAdmin('POST', '/faults', {
      kind: 'rateLimitExceeded429',
      method: 'users.get',
      count: 1,
      retryAfterSeconds: 120,
    });
    const profile = await activate();
    const before = Date.now();
    await rig.workspace.ctx.jobs.drain();
    const [job] = (await listJobs(db, { type: ACTIVATE_JOB })).filter((j) => j.payload.sub === profile.sub);
    expect(job?.state).toBe('queued');
    expect(new Date(job?.run_at as Date).getTime() - before).toBeGreaterThanOrEqual(119_000);
    expect((await account(profile.sub)).last_error).toContain('429');
    await runJobsToCompletion(rig.workspace.ctx);
    expect(await usersFor(profile.sub)).toHaveLength(1);
  });

  it('treats 404 and 412 in the window after a create as eventual consistency', async () => {
    await rig.googleAdmin('PUT', '/faults/creation-lag', { ms: 1500 });
    await rig.googleAdmin('POST', '/faults', { kind: 'loseResponse', method: 'users.insert', count: 1 });
    const profile = await activate();
    await rig.workspace.ctx.jobs.drain();
    // The insert committed but its answer was lost; the user is not visible yet: retried, not duplicated.
    expect((await account(profile.sub)).state).toBe('queued');
    await new Promise((resolve) => setTimeout(resolve, 1600));
    await runJobsToCompletion(rig.workspace.ctx);
    expect((await account(profile.sub)).state).toBe('active');
    expect(await usersFor(profile.sub)).toHaveLength(1);
  });

  it('a crash after the insert, before the result was recorded, leaves one user once the job runs again', async () => {
    const crash = new Error('process killed');
    createProvisioning(ctx, {
      afterStep: (step) => {
        if (step === 'user_inserted') throw crash;
      },
    });
    const profile = await activate();
    const [claimed] = await rig.workspace.ctx.jobs
      .drain()
      .then(() =>
        listJobs(db, { type: ACTIVATE_JOB }).then((jobs) =>
          jobs.filter((j) => j.payload.sub === profile.sub),
        ),
      );
    // The "killed" run left the account unrecorded; Google already has the user.
    expect(claimed?.state).toBe('queued');
    expect((await account(profile.sub)).state).toBe('queued');
    expect(await usersFor(profile.sub)).toHaveLength(1);
    createProvisioning(ctx);
    await runJobsToCompletion(rig.workspace.ctx);
    expect((await account(profile.sub)).state).toBe('active');
    expect(await usersFor(profile.sub)).toHaveLength(1);
  });

  it('a job whose worker died mid-way (lease expired, still running) completes without a duplicate', async () => {
    const profile = await activate();
    // What kill -9 leaves behind: the job claimed and running, the user created in Google, nothing recorded.
    await db
      .updateTable('jobs')
      .set({
        state: 'running',
        locked_by: 'dead-worker',
        locked_until: new Date(Date.now() - 1000),
        attempts: 1,
      })
      .where('type', '=', ACTIVATE_JOB)
      .where('state', '=', 'queued')
      .execute();
    const standIn = rig.google.app.googleStandIn;
    await standIn?.users.insert({
      primaryEmail: `${profile.username}@go.edu.tw`,
      name: { givenName: '小明', familyName: '王' },
      password: 'x'.repeat(40),
      hashFunction: 'SHA-1',
      orgUnitPath: '/cyc/454503',
      externalIds: [{ type: 'custom', customType: 'edugate-cloud-sub', value: profile.sub }],
    });
    await runJobsToCompletion(rig.workspace.ctx);
    expect((await account(profile.sub)).state).toBe('active');
    expect(await usersFor(profile.sub)).toHaveLength(1);
  });

  it("refuses someone else's address with a clear conflict for the administrator", async () => {
    const profile = teacher();
    await rig.google.app.googleStandIn?.users.insert({
      primaryEmail: `${profile.username}@go.edu.tw`,
      name: { givenName: '別', familyName: '人' },
      password: 'another-password',
      externalIds: [{ type: 'custom', customType: 'edugate-cloud-sub', value: 'someone-else' }],
    });
    await activate(profile);
    await runJobsToCompletion(rig.workspace.ctx);
    const row = await account(profile.sub);
    expect(row.state).toBe('conflict');
    expect(row.last_error).toContain('already belongs to another Google user');
    const [job] = (await listJobs(db, { type: ACTIVATE_JOB })).filter((j) => j.payload.sub === profile.sub);
    expect(job?.state).toBe('failed');
    expect(await usersFor(profile.sub)).toHaveLength(0);
  });
});

describe('adoption', () => {
  it('never adopts a Google user made at Google without external ids, even at the same address', async () => {
    const profile = teacher();
    const made = (await rig.googleAdmin('POST', '/users', {
      primaryEmail: `${profile.username}@go.edu.tw`,
      name: { givenName: '辦公室', familyName: '校長' },
      password: 'principal-office-password',
    })) as { id: string; externalIds: unknown[] };
    expect(made.externalIds).toEqual([]);
    await activate(profile);
    await runJobsToCompletion(rig.workspace.ctx);
    const row = await account(profile.sub);
    expect(row.state).toBe('conflict');
    expect(row.google_user_id).toBeNull();
    const user = (await googleUsers()).find((u) => u.primaryEmail === `${profile.username}@go.edu.tw`);
    expect(user?.externalIds).toEqual([]);
  });

  it('adopts a Google user carrying exactly this account’s external id', async () => {
    const profile = teacher();
    await rig.googleAdmin('POST', '/users', {
      primaryEmail: `${profile.username}@go.edu.tw`,
      name: { givenName: '小明', familyName: '王' },
      password: 'x'.repeat(40),
      hashFunction: 'SHA-1',
      externalIds: [{ type: 'custom', customType: 'edugate-cloud-sub', value: profile.sub }],
    });
    await activate(profile);
    await runJobsToCompletion(rig.workspace.ctx);
    expect((await account(profile.sub)).state).toBe('active');
    expect(await usersFor(profile.sub)).toHaveLength(1);
  });
});

describe('the stand-in refuses the addresses Google refuses', () => {
  it("answers users.insert of a bad user name with Google's 400 invalid primary_user_email", async () => {
    const { directory } = createProvisioning(ctx).deps();
    for (const primaryEmail of [
      'dotwalk29.@go.edu.tw',
      'lin..xh@go.edu.tw',
      '.lin.xh@go.edu.tw',
      'lin xh@go.edu.tw',
      `${'a'.repeat(65)}@go.edu.tw`,
    ]) {
      const failure = await directory
        .insertUser({
          primaryEmail,
          name: { givenName: '小明', familyName: '王' },
          password: 'x'.repeat(40),
          hashFunction: 'SHA-1',
        })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(failure, primaryEmail).toBeInstanceOf(DirectoryFailure);
      expect(failure).toMatchObject({ kind: 'permanent', status: 400, reason: 'invalid' });
      expect((failure as Error).message).toContain('Invalid Input: primary_user_email');
    }
    expect((await googleUsers()).map((u) => u.primaryEmail)).not.toContain('dotwalk29.@go.edu.tw');
    const created = await directory.insertUser({
      primaryEmail: "o'brien-lin_x.h@go.edu.tw",
      name: { givenName: '小明', familyName: '王' },
      password: 'x'.repeat(40),
      hashFunction: 'SHA-1',
    });
    expect(created.primaryEmail).toBe("o'brien-lin_x.h@go.edu.tw");
  });

  it('an account named before the dot rules fails to activate with the reason, and no Google user', async () => {
    const profile = { ...teacher(), username: 'dotwalk29.', email: 'dotwalk29.@mail.edu.tw' };
    await activate(profile);
    await runJobsToCompletion(rig.workspace.ctx);
    const row = await account(profile.sub);
    expect(row.state).toBe('failed');
    expect(row.last_error).toContain('primary_user_email');
    expect(await usersFor(profile.sub)).toHaveLength(0);
  });
});

describe('lifecycle', () => {
  it('suspends and unsuspends the Google user with the cloud account', async () => {
    const profile = await activate();
    await runJobsToCompletion(rig.workspace.ctx);
    await setCloudState(db, profile.sub, 'suspended', 'cloud', 'account suspended');
    await runJobsToCompletion(rig.workspace.ctx);
    expect((await usersFor(profile.sub))[0]?.suspended).toBe(true);
    await setCloudState(db, profile.sub, 'active', 'cloud', 'account reactivated');
    await runJobsToCompletion(rig.workspace.ctx);
    expect((await usersFor(profile.sub))[0]?.suspended).toBe(false);
    expect((await account(profile.sub)).google_suspended).toBe(false);
  });

  it('the reconcile job reports drift: a user suspended behind our back and one deleted', async () => {
    const a = await activate();
    const b = await activate();
    await runJobsToCompletion(rig.workspace.ctx);
    const standIn = rig.google.app.googleStandIn;
    await standIn?.users.modify(`${a.username}@go.edu.tw`, { suspended: true });
    await standIn?.users.delete(`${b.username}@go.edu.tw`);
    const report = await reconcileAndReport(ctx);
    const problems = report.drift.map((d) => `${d.googleEmail}:${d.problem}`);
    expect(problems).toContain(`${a.username}@go.edu.tw:suspension`);
    expect(problems).toContain(`${b.username}@go.edu.tw:missing`);
    expect(report.finished_at).not.toBeNull();
  });
});
