/**
 * A private tmux server for tests that type into a real terminal and read the screen back.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

/** One tmux server (its own socket, no user config) and the ways the tests use it. */
export interface TmuxServer {
  /** Runs a tmux command against this server; returns its output. */
  run(...args: string[]): string;
  /** The visible screen of a session, wrapped lines joined. */
  screen(name: string): string;
  /** Types keys into a session (tmux key names such as C-c or Enter work). */
  keys(name: string, ...keys: string[]): void;
  /** Waits until the screen satisfies `ok` (polling every 50 ms), or fails with the screen shown. */
  waitScreen(name: string, ok: (s: string) => boolean, what: string, timeoutMs?: number): Promise<string>;
  /** Ends the server and its sessions (nothing to do if it is gone). */
  kill(): void;
}

/** A tmux server on the socket `label`; `timeoutMs` is waitScreen's default limit. */
export function tmuxServer(label: string, timeoutMs = 8000): TmuxServer {
  const run = (...args: string[]) => execFileSync('tmux', ['-L', label, '-f', '/dev/null', ...args], { encoding: 'utf8' });
  const screen = (name: string) => run('capture-pane', '-p', '-J', '-t', name);
  return {
    run,
    screen,
    keys(name, ...keys) {
      run('send-keys', '-t', name, ...keys);
    },
    async waitScreen(name, ok, what, limit = timeoutMs) {
      const end = Date.now() + limit;
      let s = '';
      while (Date.now() < end) {
        s = screen(name);
        if (ok(s)) return s;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.fail(`timed out waiting for ${what}; screen:\n${s}`);
    },
    kill() {
      try {
        run('kill-server');
      } catch {
        // no server left
      }
    },
  };
}

/** The last non-empty line of a screen. */
export const lastLine = (s: string): string => s.trimEnd().split('\n').pop() ?? '';
