import { describe, expect, it } from 'vitest';
import { historyContext } from './history.ts';

const now = new Date('2026-01-10T00:00:00Z');
const items = [
  { id: 'sha256:' + 'ab'.repeat(32), created: '2026-01-09T22:59:59.5Z', createdBy: 'CMD ["sh"]', tags: ['x:latest'], size: 0, comment: '' },
  { id: '<missing>', created: '2026-01-03T00:00:00Z', createdBy: '/bin/sh -c #(nop) ADD file:0123456789abcdef0123456789abcdef in /\t', tags: [], size: 1_234_567, comment: 'imported' },
];
const cols = (o: { trunc: boolean; human: boolean }) =>
  items.map((h) => historyContext(h, { ...o, now })).map((c) => ['ID', 'CreatedSince', 'CreatedBy', 'Size', 'Comment'].map((k) => (c[k] as () => string)()));

describe('docker history rows', () => {
  it('truncates IDs and CREATED BY (45 characters), humanises times and sizes', () => {
    expect(cols({ trunc: true, human: true })).toEqual([
      ['abababababab', 'About an hour ago', 'CMD ["sh"]', '0B', ''],
      ['<missing>', '7 days ago', '/bin/sh -c #(nop) ADD file:0123456789abcdef0…', '1.23MB', 'imported'],
    ]);
  });

  it('prints RFC 3339 times and byte counts with -H=false, everything with --no-trunc', () => {
    const rows = cols({ trunc: false, human: false });
    expect(rows[0]).toEqual(['sha256:' + 'ab'.repeat(32), '2026-01-09T22:59:59Z', 'CMD ["sh"]', '0', '']);
    expect(rows[1]![2]).toBe('/bin/sh -c #(nop) ADD file:0123456789abcdef0123456789abcdef in / ');
    expect(rows[1]![3]).toBe('1234567');
  });
});
