import { isAbsolute, resolve } from 'node:path';

export type DatabaseLocation = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

/** Reads DATABASE_URL: `sqlite:<path>` (relative to `cwd`) or `postgres://…`. */
export function parseDatabaseUrl(raw: string, cwd: string, problems: string[]): DatabaseLocation | undefined {
  if (raw.startsWith('sqlite:')) {
    const path = raw.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '') {
      problems.push(`DATABASE_URL 'sqlite:' needs a file path, as in sqlite:data/lean-auth.db`);
      return undefined;
    }
    return { kind: 'sqlite', path: isAbsolute(path) ? path : resolve(cwd, path) };
  }
  if (/^postgres(ql)?:\/\//.test(raw)) {
    try {
      new URL(raw);
      return { kind: 'postgres', url: raw };
    } catch {
      problems.push('DATABASE_URL is not a valid postgres:// URL');
      return undefined;
    }
  }
  problems.push(`DATABASE_URL must start with 'sqlite:' or 'postgres://', got '${redactUrl(raw)}'`);
  return undefined;
}

/** A database or Redis URL without its password, fit for an error message. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

/** Whether a database or Redis URL carries a password (in its user part, or libpq's `password=`). */
export function urlHasPassword(raw: string): boolean {
  try {
    const url = new URL(raw);
    return url.password !== '' || url.searchParams.has('password');
  } catch {
    return /\/\/[^@/]*:[^@/]*@/.test(raw);
  }
}
