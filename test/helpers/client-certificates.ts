import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A certificate and its key, as PEM files in a temp folder and their contents. */
export interface Issued {
  readonly certFile: string;
  readonly keyFile: string;
  readonly cert: Buffer;
  readonly key: Buffer;
}

const P256 = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A self-signed certificate (a CA, or a self_signed_tls_client_auth client), made by openssl. */
export function selfSigned(dir: string, name: string, subject: string, san?: string): Issued {
  const certFile = join(dir, `${name}.pem`);
  const keyFile = join(dir, `${name}.key`);
  const extension = san === undefined ? [] : ['-addext', `subjectAltName=${san}`];
  openssl([
    'req',
    '-x509',
    ...P256,
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-days',
    '1',
    '-subj',
    subject,
    ...extension,
  ]);
  return { certFile, keyFile, cert: readFileSync(certFile), key: readFileSync(keyFile) };
}

/** A client certificate issued by `ca`, with `subject` and a subjectAltName extension. */
export function issuedBy(ca: Issued, dir: string, name: string, subject: string, san: string): Issued {
  const certFile = join(dir, `${name}.pem`);
  const keyFile = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, `subjectAltName=${san}\nextendedKeyUsage=clientAuth\n`);
  openssl(['req', '-new', ...P256, '-keyout', keyFile, '-out', csr, '-subj', subject]);
  openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.certFile,
    '-CAkey',
    ca.keyFile,
    '-CAcreateserial',
    '-out',
    certFile,
    '-days',
    '1',
    '-extfile',
    ext,
  ]);
  return { certFile, keyFile, cert: readFileSync(certFile), key: readFileSync(keyFile) };
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: 'ignore' });
}
