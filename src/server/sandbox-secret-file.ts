import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { makePrivateDirectory } from '../store/private-directory.js';

/**
 * A secret a sandbox makes for itself: 32 random bytes as hex, written once (mode 0600) and read
 * back on later starts. Of two processes starting together, one writes and the other reads.
 */
export function sandboxSecretFile(path: string): { value: string; created: boolean } {
  makePrivateDirectory(dirname(path));
  let created = true;
  try {
    writeFileSync(path, `${randomBytes(32).toString('hex')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    created = false;
  }
  const value = readFileSync(path, 'utf8').trim();
  if (!/^[0-9a-f]{64}$/.test(value)) throw new Error(`${path} does not hold 32 bytes of hex`);
  return { value, created };
}
