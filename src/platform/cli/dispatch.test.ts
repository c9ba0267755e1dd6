import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Config } from '../config/options.ts';
import { defineCommand, defineCommandGroup } from './command.ts';
import { dispatch } from './dispatch.ts';

const ran: string[] = [];

/** Records that a command ran; exit 0. */
function record(what: string): number {
  ran.push(what);
  return 0;
}

const group = defineCommandGroup({
  name: 'thing',
  usage: 'thing add|list|show',
  summary: 'things',
  help: 'usage: edugate thing …',
  commands: [
    defineCommand({
      name: 'add',
      options: { name: { type: 'string', required: true }, tag: { type: 'string', multiple: true } },
      run: ({ values }) => record(`add ${values.name} ${values.tag?.join('+') ?? ''}`),
    }),
    defineCommand({ name: 'list|ls', options: {}, run: () => record('list') }),
    defineCommand({ name: 'list all', options: {}, run: () => record('list all') }),
    defineCommand({
      name: 'show',
      args: ['ID', 'FIELD?'],
      options: {},
      run: ({ args }) => record(`show ${args.join(' ')}`),
    }),
  ],
});

function run(...argv: string[]) {
  const errors: string[] = [];
  const error = vi.spyOn(console, 'error').mockImplementation((line: string) => void errors.push(line));
  return dispatch(group, argv, {
    config: {} as Config,
    admin: async () => ({ status: 200, body: null }),
  }).then((code) => {
    error.mockRestore();
    return { code, stderr: errors.join('\n') };
  });
}

afterEach(() => {
  ran.length = 0;
});

describe('the admin command dispatcher', () => {
  it('runs the command the words name, the longest match first, with its options and arguments', async () => {
    expect((await run('add', '--name', 'x', '--tag', 'a', '--tag', 'b')).code).toBe(0);
    expect((await run('ls')).code).toBe(0);
    expect((await run('list', 'all')).code).toBe(0);
    expect((await run('show', '7')).code).toBe(0);
    expect((await run('show', '7', 'name')).code).toBe(0);
    expect(ran).toEqual(['add x a+b', 'list', 'list all', 'show 7', 'show 7 name']);
  });

  it('refuses a missing required option, naming it on one line before the usage (exit 2)', async () => {
    expect(await run('add')).toEqual({ code: 2, stderr: 'missing --name\nusage: edugate thing …' });
    expect(await run('add', '--name', '  ')).toEqual({
      code: 2,
      stderr: 'missing --name\nusage: edugate thing …',
    });
    expect(ran).toEqual([]);
  });

  it('refuses an unknown option, and an option of another command', async () => {
    const unknown = await run('add', '--name', 'x', '--colour', 'red');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.split('\n')[0]).toContain("'--colour'");
    expect(await run('list', '--name', 'x')).toEqual({
      code: 2,
      stderr: 'thing list|ls does not take --name\nusage: edugate thing …',
    });
  });

  it('prints the usage for words it does not know and for a wrong number of arguments', async () => {
    for (const argv of [[], ['remove'], ['show'], ['show', '1', '2', '3'], ['ls', 'extra']]) {
      expect(await run(...argv), argv.join(' ')).toEqual({ code: 2, stderr: 'usage: edugate thing …' });
    }
  });
});
