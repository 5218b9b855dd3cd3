import { describe, expect, it } from 'vitest';
import { FakeScreen } from './fake-screen.ts';
import { History } from './history.ts';
import { LineEditor, type EditorEvent } from './line-editor.ts';
import { splitKeys } from './keys.ts';

const LEFT = '\x1b[D';
const RIGHT = '\x1b[C';
const UP = '\x1b[A';
const DOWN = '\x1b[B';

function setup(cols = 80, entries: string[] = []) {
  const screen = new FakeScreen(cols);
  const history = new History();
  for (const e of entries) history.add(e);
  const ed = new LineEditor({ write: screen.write, history, cols: () => screen.cols });
  ed.begin('$ ');
  const events: EditorEvent[] = [];
  const type = (data: string) => {
    let rest = data;
    while (rest) {
      const r = ed.feed(rest);
      if (r.event) events.push(r.event);
      rest = r.rest;
      if (r.event?.type !== 'eof' && r.event) ed.begin('$ ');
    }
  };
  return { screen, history, ed, events, type };
}

describe('splitKeys', () => {
  it('keeps escape sequences and surrogate pairs whole', () => {
    expect(splitKeys(`ab\x1b[A\x1b[1;5Dc\x1bOH\x1bb\x1b[3~😀\x1b`)).toEqual(['a', 'b', '\x1b[A', '\x1b[1;5D', 'c', '\x1bOH', '\x1bb', '\x1b[3~', '😀', '\x1b']);
  });
});

describe('LineEditor', () => {
  it('echoes typing and returns the line on Enter', () => {
    const { screen, events, type } = setup();
    type('docker ps\r');
    expect(events).toEqual([{ type: 'line', text: 'docker ps' }]);
    expect(screen.text()).toBe('$ docker ps\n$');
  });

  it('moves with left/right/Home/End and inserts in the middle', () => {
    const { screen, ed, type } = setup();
    type(`dockr${LEFT}e\x01X\x05Y`);
    expect(ed.text).toBe('XdockerY');
    expect(screen.currentLine()).toBe('$ XdockerY');
    type(`\x1b[H${RIGHT}${RIGHT}-\x1b[F!`);
    expect(ed.text).toBe('Xd-ockerY!');
    expect(screen.currentLine()).toBe('$ Xd-ockerY!');
    expect(screen.col).toBe(2 + 10);
  });

  it('deletes with Backspace, Delete and Ctrl-D inside a line', () => {
    const { screen, ed, type } = setup();
    type(`abcdef\x7f${LEFT}${LEFT}\x1b[3~\x01\x04`);
    expect(ed.text).toBe('bce');
    expect(screen.currentLine()).toBe('$ bce');
    expect(screen.col).toBe(2);
    type('\x01\x7f');
    expect(ed.text).toBe('bce');
  });

  it('kills with Ctrl-U, Ctrl-K and Ctrl-W', () => {
    const { screen, ed, type } = setup();
    type('docker run  --rm busybox');
    type('\x17');
    expect(ed.text).toBe('docker run  --rm ');
    type('\x17');
    expect(ed.text).toBe('docker run  ');
    type(`${LEFT}${LEFT}${LEFT}${LEFT}\x0b`);
    expect(ed.text).toBe('docker r');
    type(`${LEFT}\x15`);
    expect(ed.text).toBe('r');
    expect(screen.currentLine()).toBe('$ r');
    expect(screen.col).toBe(2);
  });

  it('moves and deletes by words (Ctrl-arrows, Alt-b/f, Alt-Backspace)', () => {
    const { ed, type } = setup();
    type('one two-three');
    type('\x1b[1;5D');
    type('X');
    expect(ed.text).toBe('one two-Xthree');
    type('\x1bb\x1bb\x1bf');
    type('Y');
    expect(ed.text).toBe('one twoY-Xthree');
    type('\x05\x1b\x7f');
    expect(ed.text).toBe('one twoY-');
  });

  it('Ctrl-C drops the line with ^C; Ctrl-D on an empty line is eof and editing goes on', () => {
    const { screen, events, ed, type } = setup();
    type('half typed\x03');
    expect(events).toEqual([{ type: 'interrupt' }]);
    expect(screen.text()).toBe('$ half typed^C\n$');
    type('\x04');
    expect(events[1]).toEqual({ type: 'eof' });
    expect(ed.isActive).toBe(true);
    type('x\r');
    expect(events[2]).toEqual({ type: 'line', text: 'x' });
  });

  it('browses the history with Up/Down and keeps the line being typed', () => {
    const { ed, history, type, screen } = setup(80, ['docker ps', 'docker images']);
    type(`draft${UP}`);
    expect(ed.text).toBe('docker images');
    type(UP);
    expect(ed.text).toBe('docker ps');
    type(UP);
    expect(ed.text).toBe('docker ps');
    expect(screen.currentLine()).toBe('$ docker ps');
    type(`${DOWN}${DOWN}`);
    expect(ed.text).toBe('draft');
    expect(screen.currentLine()).toBe('$ draft');
    type(`${UP}\r`);
    expect(history.list()).toEqual(['docker ps', 'docker images']);
    type('\x10\x10 -a\r');
    expect(history.list()).toEqual(['docker ps', 'docker images', 'docker ps -a']);
  });

  it('treats a pasted CRLF as one Enter and hands back what follows', () => {
    const { ed, history } = setup();
    const r = ed.feed('docker ps\r\ndocker images\r');
    expect(r.event).toEqual({ type: 'line', text: 'docker ps' });
    expect(r.rest).toBe('\ndocker images\r');
    ed.begin('$ ');
    // The \n that ends the CRLF pair is skipped: the lone Enter was already taken.
    expect(ed.feed(r.rest).event).toEqual({ type: 'line', text: 'docker images' });
    expect(history.list()).toEqual(['docker ps', 'docker images']);
  });

  it('Ctrl-L clears the screen and draws the line again', () => {
    const { screen, type } = setup();
    type('docker ps\rdocker im\x0c');
    expect(screen.text().trim()).toBe('$ docker im');
  });

  it('draws lines that wrap, and edits across the wrap', () => {
    const { screen, ed, type } = setup(10);
    type('abcdefgh'); // "$ " + 8 = 10: exactly at the margin
    expect(screen.row).toBe(1);
    expect(screen.col).toBe(0);
    type('ijklmnop');
    expect(screen.text()).toBe('$ abcdefgh\nijklmnop');
    type('\x01X');
    expect(ed.text).toBe('Xabcdefghijklmnop');
    expect(screen.text()).toBe('$ Xabcdefg\nhijklmnop');
    expect([screen.row, screen.col]).toEqual([0, 3]);
    type('\x05');
    expect([screen.row, screen.col]).toEqual([1, 9]);
    type('\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f');
    expect(screen.text()).toBe('$ Xabcdefg');
    expect([screen.row, screen.col]).toEqual([1, 0]);
    type(`${UP}`);
    type('\r');
    expect(screen.text()).toBe('$ Xabcdefg\n$');
  });

  it('ignores other control keys and unknown sequences', () => {
    const { ed, type } = setup();
    type('a\t\x1b[15~\x07\x1b[Zb');
    expect(ed.text).toBe('ab');
  });

  it('insert() puts text in as if typed', () => {
    const { ed, screen } = setup();
    ed.insert('docker run -it busybox sh');
    expect(screen.currentLine()).toBe('$ docker run -it busybox sh');
    expect(ed.feed('\r').event).toEqual({ type: 'line', text: 'docker run -it busybox sh' });
  });
});
