// Go's text/tabwriter with docker's settings (minwidth 10, padding 3, cells ended by tabs)
// and docker's Ellipsis, by their rules: contiguous column blocks, unpadded last cells,
// display widths (go-runewidth) and cuts between characters.
import { describe, expect, it } from 'vitest';
import { ellipsis, tabwrite } from './format.ts';

describe('tabwrite (docker: NewWriter(out, 10, 1, 3, " ", 0))', () => {
  it.each([
    ['nothing', '', ''],
    ['a line without tabs is not padded', 'abc\n', 'abc\n'],
    ['minimum width 10', 'a\tb\n', 'a         b\n'],
    ['widest cell plus 3', 'aaaaaaaaaaaa\tb\nc\td\n', 'aaaaaaaaaaaa   b\nc              d\n'],
    ['an empty last cell leaves the padding of the cell before', 'a\t\nbb\t\n', 'a         \nbb        \n'],
    ['a column is a block of contiguous lines', 'aaaaaaaaaaaaaa\tx\nno tabs\nb\ty\n', 'aaaaaaaaaaaaaa   x\nno tabs\nb         y\n'],
    ['header only (an empty table)', 'CONTAINER ID\tIMAGE\tNAMES\n', 'CONTAINER ID   IMAGE     NAMES\n'],
    ['wide characters count two columns', '日本語\tx\nab\ty\n', '日本語    x\nab        y\n'],
    ['text after the last newline is kept', 'a\tb\nc', 'a         b\nc'],
  ])('%s', (_n, input, want) => {
    expect(tabwrite(input)).toBe(want);
  });
});

describe('ellipsis (docker formatter.Ellipsis)', () => {
  it.each([
    ['echo hi', 20, 'echo hi'],
    ['12345678901234567890', 20, '12345678901234567890'],
    ['123456789012345678901', 20, '1234567890123456789…'],
    ["echo 'héllo wörld ünïcode'", 20, "echo 'héllo wörld ü…"],
    ['日本語日本語日本語日本語', 20, '日本語日本語日本語…'],
    ['abc', 1, 'a'],
    ['abc', 0, ''],
  ] as [string, number, string][])('%s to %d', (s, n, want) => {
    expect(ellipsis(s, n)).toBe(want);
  });
});
