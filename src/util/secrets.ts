/**
 * Where heapy keeps the secrets of the listeners it opens (as Jupyter keeps its server tokens): a
 * directory only the user can enter, `$XDG_RUNTIME_DIR/heapy` or `~/.heapy/run`, holding one 0600
 * file per listener. Whoever can read the file can connect; another local user cannot.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync, unlinkSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { writeFileReplacing } from './safe-write.js';

/** A new secret: 192 random bits, URL-safe. */
export function newSecret(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * A checker for `secret` that compares SHA-256 digests with timingSafeEqual: equal lengths always,
 * so neither the comparison's time nor an early length check tells a guesser anything.
 */
export function secretChecker(secret: string): (given: string | null | undefined) => boolean {
  const expected = createHash('sha256').update(secret, 'utf8').digest();
  return (given) => given != null && timingSafeEqual(createHash('sha256').update(given, 'utf8').digest(), expected);
}

/** heapy's private runtime directory, created mode 0700; throws if it is not the user's own and private. */
export function runtimeDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'heapy') : join(env.HOME ?? homedir(), '.heapy', 'run');
  mkdirSync(base, { recursive: true, mode: 0o700 });
  const st = lstatSync(base);
  const uid = process.getuid?.();
  if (!st.isDirectory() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o077) !== 0) {
    throw Object.assign(new Error(`${base} is not a private directory of this user (mode ${(st.mode & 0o777).toString(8)})`), { code: 'EPERM' });
  }
  return base;
}

/** The file holding the secret of the listener named `name` (e.g. `manhole-127.0.0.1-9999`). */
export function secretPath(name: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(runtimeDir(env), `${name}.token`);
}

/** Stores a secret for `name` (0600, created exclusively and renamed into place); returns the file. */
export function storeSecret(name: string, secret: string): string {
  const file = secretPath(name);
  writeFileReplacing(file, `${secret}\n`);
  return file;
}

/** The stored secret for `name`, or undefined when there is none (or it cannot be read). */
export function readSecret(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  try {
    return readFileSync(secretPath(name, env), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Removes the stored secret for `name`, if any. */
export function removeSecret(name: string): void {
  try {
    unlinkSync(secretPath(name));
  } catch {
    // none stored
  }
}

/** The secret's name for a `heapy serve` listener. */
export function serveSecretName(host: string, port: number): string {
  return `serve-${host}-${port}`;
}

/** The secret's name for a TCP manhole. */
export function manholeSecretName(host: string, port: number): string {
  return `manhole-${host}-${port}`;
}
