import { describe, expect, it } from 'vitest';
import { Flow, IllegalTransition } from './flow.ts';

type Light = 'off' | 'dim' | 'bright' | 'broken';
type Switch = 'press' | 'fail';

const LAMP = new Flow<Light, Switch>('lamp', [
  ['off', 'press', 'dim'],
  ['dim', 'press', 'bright'],
  ['bright', 'press', 'off'],
  ['dim', 'fail', 'broken'],
  ['bright', 'fail', 'broken'],
]);

describe('a flow’s transition table', () => {
  it('leads each state to the state its row names, an event at a time', () => {
    expect(LAMP.next('off', 'press')).toBe('dim');
    expect(LAMP.next('dim', 'press')).toBe('bright');
    expect(LAMP.next('bright', 'press')).toBe('off');
    expect(LAMP.next('bright', 'fail')).toBe('broken');
  });

  it('refuses an event the table does not list for the state, naming the flow, the state and the event', () => {
    expect(() => LAMP.next('off', 'fail')).toThrow(IllegalTransition);
    expect(() => LAMP.next('off', 'fail')).toThrow(
      'lamp: "fail" is not allowed in state "off" (only in "dim", "bright")',
    );
    expect(() => LAMP.next('broken', 'press')).toThrow(
      'lamp: "press" is not allowed in state "broken" (only in "off", "dim", "bright")',
    );
    expect(LAMP.allows('broken', 'press')).toBe(false);
    expect(LAMP.allows('dim', 'fail')).toBe(true);
  });

  it('knows its states and events from the table', () => {
    expect(LAMP.states).toEqual(['off', 'dim', 'bright', 'broken']);
    expect(LAMP.events).toEqual(['press', 'fail']);
    expect(LAMP.from('fail')).toEqual(['dim', 'bright']);
  });

  it('refuses a table that lists an event twice for one state', () => {
    expect(
      () =>
        new Flow<Light, Switch>('lamp', [
          ['off', 'press', 'dim'],
          ['off', 'press', 'bright'],
        ]),
    ).toThrow('lamp: "press" is listed twice for state "off"');
  });
});
