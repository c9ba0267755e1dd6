import { describe, expect, it } from 'vitest';
import { TurnBatch } from './turn-batch.ts';

describe('turn batch', () => {
  it('runs the calls of one turn together and answers each in order', async () => {
    const runs: number[][] = [];
    const batch = new TurnBatch<number, number>(async (items) => {
      runs.push(items);
      return items.map((item) => item * 10);
    });
    const first = await Promise.all([batch.add(1), batch.add(2), batch.add(3)]);
    const second = await batch.add(4);
    expect(first).toEqual([10, 20, 30]);
    expect(second).toBe(40);
    expect(runs).toEqual([[1, 2, 3], [4]]);
  });

  it('gathers the calls made while a run is on its way into the next run', async () => {
    const runs: string[][] = [];
    let answer: (() => void) | undefined;
    const batch = new TurnBatch<string, string>(async (items) => {
      runs.push(items);
      if (items[0] === 'first') await new Promise<void>((resolve) => (answer = resolve));
      return items;
    });
    const first = batch.add('first');
    await new Promise((resolve) => setImmediate(resolve));
    expect(runs).toEqual([['first']]);
    // Two more calls, in different turns, while the first run waits for its answer.
    const second = batch.add('second');
    await new Promise((resolve) => setImmediate(resolve));
    const third = batch.add('third');
    await new Promise((resolve) => setImmediate(resolve));
    expect(runs).toHaveLength(1);
    answer?.();
    expect(await Promise.all([first, second, third])).toEqual(['first', 'second', 'third']);
    expect(runs).toEqual([['first'], ['second', 'third']]);
  });

  it('splits what gathered into runs of at most `max`', async () => {
    const runs: number[][] = [];
    const batch = new TurnBatch<number, number>(
      async (items) => {
        runs.push(items);
        return items;
      },
      { max: 2 },
    );
    expect(await Promise.all([1, 2, 3, 4, 5].map((item) => batch.add(item)))).toEqual([1, 2, 3, 4, 5]);
    expect(runs).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('fails every call of a failed batch, and the next batch runs afresh', async () => {
    let fail = true;
    const batch = new TurnBatch<string, string>(async (items) => {
      if (fail) throw new Error('database unavailable');
      return items;
    });
    const results = await Promise.allSettled([batch.add('a'), batch.add('b')]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(await batch.add('c')).toBe('c');
  });
});
