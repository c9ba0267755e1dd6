// Return addresses an attacker tries on every `return_to` / `next` (each must fall back to the
// default page). Shared by the tests of every role.

/** The classic ways of smuggling another site into a "local" return address. */
export const OPEN_REDIRECT_BYPASSES = [
  '//evil.example',
  '///evil.example',
  '//evil.example/account',
  '/\\evil.example',
  '\\\\evil.example',
  '/\\/evil.example',
  '/%2f%2fevil.example',
  '/%2F%2Fevil.example',
  '%2f%2fevil.example',
  '/%5cevil.example',
  '/%5c%5cevil.example',
  '/x/..//evil.example',
  '/x/%2e%2e//evil.example',
  '/./..//evil.example',
  '\t//evil.example',
  '/\t/evil.example',
  '/\n/evil.example',
  ' //evil.example',
  'https://evil.example',
  'https://evil.example/account',
  'http:evil.example',
  'javascript:alert(1)',
  'JaVaScRiPt:alert(1)',
  '/%0d%0aLocation:%20https://evil.example',
  '/account%0d%0aSet-Cookie:%20x=1',
  '/account\r\nSet-Cookie: x=1',
  '/%E0%A4%A',
];
