import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { explainListenError } from '../../src/server/listen-error.js';

/** An error as net.Server#listen gives it. */
function systemError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`listen ${code}: 127.0.0.1:80`), { code, syscall: 'listen' });
}

describe('explainListenError', () => {
  it('a port in use names the setting and a way out', () => {
    const cause = systemError('EADDRINUSE');
    const explained = explainListenError(cause, 'ADMIN_PORT', '127.0.0.1', 8081) as Error;
    assert.equal(
      explained.message,
      'ADMIN_PORT 8081 is already in use on 127.0.0.1 (another lean-auth, or another server, listens there): ' +
        'stop that one, or choose a free port, e.g. ADMIN_PORT=8082 npm start',
    );
    assert.equal(explained.cause, cause);
  });

  it('a privileged port without the privilege names the setting too', () => {
    const explained = explainListenError(systemError('EACCES'), 'PORT', '0.0.0.0', 443) as Error;
    assert.match(explained.message, /^PORT 443 on 0\.0\.0\.0 is not open to this user .* e\.g\. PORT=8080/);
  });

  it('any other error passes unchanged', () => {
    const other = systemError('EADDRNOTAVAIL');
    assert.equal(explainListenError(other, 'PORT', '10.9.9.9', 8080), other);
    assert.equal(explainListenError(undefined, 'PORT', '127.0.0.1', 8080), undefined);
  });
});
