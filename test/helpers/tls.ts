import { execFileSync } from 'node:child_process';
import { type Issued, selfSigned } from './client-certificates.js';

export type SelfSignedCertificate = Issued;

/** A P-256 certificate for localhost and 127.0.0.1, valid one day, made by openssl in `dir`. */
export function selfSignedCertificate(dir: string): SelfSignedCertificate {
  return selfSigned(dir, 'localhost', '/CN=localhost', 'DNS:localhost,IP:127.0.0.1');
}

/** The node:test `skip` reason when openssl, which makes the certificates, is not installed. */
export function opensslMissing(): string | false {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return false;
  } catch {
    return 'openssl is not installed (apt-get install openssl): no certificate for the HTTPS test';
  }
}
