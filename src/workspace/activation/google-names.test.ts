import { describe, expect, it } from 'vitest';
import { googleNameParts } from './cloud-login.ts';

describe("the Google user's name from the cloud's profile", () => {
  it('derives 姓 and 名 from the full name when the cloud has none, never doubling it', () => {
    expect(googleNameParts('林雅婷', '', '')).toEqual({ familyName: '林', givenName: '雅婷' });
    expect(googleNameParts('歐陽娜娜', '', '')).toEqual({ familyName: '歐陽', givenName: '娜娜' });
    expect(googleNameParts('王小明', '王', '小明')).toEqual({ familyName: '王', givenName: '小明' });
    expect(googleNameParts('Madonna', '', '')).toEqual({ familyName: '-', givenName: 'Madonna' });
  });
});
