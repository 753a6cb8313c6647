/** The setting that chose the port a server listens on. */
export type PortSetting = 'PORT' | 'ADMIN_PORT';

/**
 * A failure to listen in words that name the setting to change (one line: `lean-auth serve` prints
 * it as it is); any other error unchanged. The usual case is a second server started on a port the
 * first still holds.
 */
export function explainListenError(
  error: unknown,
  setting: PortSetting,
  host: string,
  port: number,
): unknown {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'EADDRINUSE') {
    return new Error(
      `${setting} ${port} is already in use on ${host} (another lean-auth, or another server, listens there): ` +
        `stop that one, or choose a free port, e.g. ${setting}=${port + 1} npm start`,
      { cause: error },
    );
  }
  if (code === 'EACCES') {
    return new Error(
      `${setting} ${port} on ${host} is not open to this user (ports below 1024 need privileges): ` +
        `choose a port from 1024 up, e.g. ${setting}=8080, and let a reverse proxy take the low port`,
      { cause: error },
    );
  }
  return error;
}
