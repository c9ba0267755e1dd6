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

  it('starts a batch as soon as it is full', async () => {
    const runs: number[][] = [];
    const batch = new TurnBatch<number, number>(async (items) => {
      runs.push(items);
      return items;
    }, 2);
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
