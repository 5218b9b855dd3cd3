/**
 * Go's strconv.Quote, for messages and dumps worded as BuildKit words them (`%q`): a
 * double-quoted string with Go's escapes; printable Unicode stays as it is.
 */
export function goQuote(s: string): string {
  let out = '"';
  for (const c of s) {
    const cp = c.codePointAt(0)!;
    switch (c) {
      case '"': out += '\\"'; continue;
      case '\\': out += '\\\\'; continue;
      case '\x07': out += '\\a'; continue;
      case '\b': out += '\\b'; continue;
      case '\f': out += '\\f'; continue;
      case '\n': out += '\\n'; continue;
      case '\r': out += '\\r'; continue;
      case '\t': out += '\\t'; continue;
      case '\v': out += '\\v'; continue;
    }
    if (cp < 0x20 || cp === 0x7f) out += '\\x' + cp.toString(16).padStart(2, '0');
    else if (/^[\p{C}\p{Z}]$/u.test(c) && c !== ' ') out += cp > 0xffff ? '\\U' + cp.toString(16).padStart(8, '0') : '\\u' + cp.toString(16).padStart(4, '0');
    else out += c;
  }
  return out + '"';
}

/** Go's `%q` of a []string: `["a" "b"]`. */
export function goQuoteList(list: readonly string[]): string {
  return '[' + list.map(goQuote).join(' ') + ']';
}
