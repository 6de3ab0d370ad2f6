/**
 * The manhole's out-of-band control lines, shared by the server and `heapy connect`.
 *
 * A control line starts with a NUL byte, which a person typing into `nc`, `rlwrap nc` or `socat`
 * never sends, so plain clients never trigger or see one: the server only sends them to a client
 * that announced itself with `hello`.
 */

/** Prefix of every control line, in both directions. */
export const CONTROL_PREFIX = '\u0000heapy:';

/** Protocol version sent in `hello`. */
export const PROTOCOL_VERSION = 1;

/** Text a plain client sees when the manhole asks for its token. */
export const TOKEN_PROMPT = 'manhole token: ';

/** Control messages a client sends. */
export type ClientControl =
  | { kind: 'hello'; v: number; colors?: boolean }
  | { kind: 'complete'; id: number; line: string }
  | { kind: 'interrupt' };

/** Control messages the server sends to a client that said `hello`. */
export type ServerControl =
  | { kind: 'hello'; v: number; auth: boolean }
  | { kind: 'prompt'; prompt: string }
  | { kind: 'completions'; id: number; list: string[]; prefix: string };

/** Encodes one control message as a line (with its line feed). */
export function encodeControl(msg: ClientControl | ServerControl): string {
  const { kind, ...rest } = msg;
  return `${CONTROL_PREFIX}${kind} ${JSON.stringify(rest)}\n`;
}

/** Decodes a control line (without its line feed), or returns null if it is not one. */
export function decodeControl<T extends ClientControl | ServerControl>(line: string): T | null {
  if (!line.startsWith(CONTROL_PREFIX)) return null;
  const body = line.slice(CONTROL_PREFIX.length);
  const space = body.indexOf(' ');
  const kind = space < 0 ? body : body.slice(0, space);
  let rest: unknown = {};
  if (space >= 0) {
    try {
      rest = JSON.parse(body.slice(space + 1));
    } catch {
      return null;
    }
  }
  if (typeof rest !== 'object' || rest === null || Array.isArray(rest)) return null;
  return { ...(rest as object), kind } as T;
}
