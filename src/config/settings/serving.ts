import { resolve } from 'node:path';
import { parseListenHost } from '../listen-host.js';
import { integer } from '../numbers.js';
import { oneOf, setting } from '../setting.js';
import { parseTrustProxy } from '../trust-proxy.js';

export type Environment = 'sandbox' | 'production';
const ENVIRONMENTS: readonly Environment[] = ['sandbox', 'production'];

/** A path relative to the folder the server starts in; unset stays unset. */
const path = (raw: string | undefined, cwd: string) => (raw === undefined ? undefined : resolve(cwd, raw));

/** Which kind of deployment, and where it listens. */
export const SERVING_SETTINGS = [
  setting({
    name: 'LEAN_AUTH_ENV',
    key: 'env',
    flag: '--lean-auth-env',
    default: 'sandbox',
    section: 'Environment',
    description: [
      '`sandbox` or `production`. Unset, a server that listens beyond this machine (`HOST`) or has an',
      '`https` issuer refuses to start until it is set: such a server is likely meant for production.',
      '- `sandbox` needs no configuration. On a first start with an empty database it creates a demo',
      '  application with one demo customer and prints their credentials once. Without',
      '  `KEY_ENCRYPTION_KEY` it generates one into `key-encryption.key` in the data folder (and warns',
      '  that it did); without `ADMIN_TOKEN` it generates one into `admin-token` there and prints it on',
      '  the start that made it. Both files are written once, mode 0600, and read again on later starts.',
      '- `production` refuses to start without `KEY_ENCRYPTION_KEY` and `ADMIN_TOKEN`, or with an `ISSUER`',
      '  that is not `https`, and creates no demo application.',
    ],
    parse: (raw = 'sandbox', { problems }): Environment => {
      if (oneOf(raw, ENVIRONMENTS)) return raw;
      problems.push(`LEAN_AUTH_ENV must be 'sandbox' or 'production', got '${raw}'`);
      return 'sandbox';
    },
  }),
  setting({
    name: 'PORT',
    key: 'port',
    flag: '--port',
    default: '8080',
    section: 'Listening',
    description: [
      'The TCP port of the public endpoints (and of the admin API, unless `ADMIN_PORT` is set).',
      '`0` to 65535; `0` picks a free port.',
    ],
    parse: (raw, { problems }) => integer('PORT', raw, { fallback: 8080, min: 0, max: 65535 }, problems),
  }),
  setting({
    name: 'HOST',
    key: 'host',
    flag: '--host',
    default: '127.0.0.1',
    section: 'Listening',
    description: [
      'The address to listen on: an IP address or a host name, without a scheme or a port. `0.0.0.0`',
      'accepts connections from other machines (in a container, for instance).',
    ],
    parse: (raw, { problems }) => parseListenHost(raw, problems),
  }),
  setting({
    name: 'ADMIN_PORT',
    key: 'adminPort',
    flag: '--admin-port',
    unset: 'the admin API is served on `PORT`',
    section: 'Listening',
    description: [
      'Serve the admin API on this port, on a second listener on the same `HOST`, and only there:',
      '`/admin/v1/…` on `PORT` answers `404`, and the public endpoints are not served on `ADMIN_PORT`.',
      'Must differ from `PORT`. See [the admin port](admin-api.md#a-port-of-its-own-admin_port).',
    ],
    parse: (raw, { problems, earlier }) => {
      if (raw === undefined) return undefined;
      const port = integer('ADMIN_PORT', raw, { fallback: 0, min: 0, max: 65535 }, problems);
      if (port !== 0 && port === earlier.port) {
        problems.push('ADMIN_PORT must differ from PORT (leave it unset to serve the admin API on PORT)');
      }
      return port;
    },
  }),
  setting({
    name: 'TLS_CERT_FILE',
    key: 'tlsCertFile',
    flag: '--tls-cert-file',
    unset: 'plain HTTP',
    section: 'Listening',
    description: [
      'A PEM file of the certificate (and its chain), read once at start; with `TLS_KEY_FILE`, the',
      'server and the admin port speak HTTPS themselves. Set both or neither. A relative path is taken',
      'from the folder the server starts in. See [TLS](operations.md#tls).',
    ],
    parse: (raw, { cwd }) => path(raw, cwd),
  }),
  setting({
    name: 'TLS_KEY_FILE',
    key: 'tlsKeyFile',
    flag: '--tls-key-file',
    unset: 'plain HTTP',
    section: 'Listening',
    description: ["A PEM file of the certificate's private key; goes with `TLS_CERT_FILE`."],
    parse: (raw, { cwd }) => path(raw, cwd),
  }),
  setting({
    name: 'TRUST_PROXY',
    key: 'trustProxy',
    flag: '--trust-proxy',
    unset: 'no proxy is trusted, `X-Forwarded-For` is ignored',
    section: 'Listening',
    description: [
      "Whose `X-Forwarded-For` header gives the caller's address, which the brute-force throttle and",
      'the audit log use: the number of proxies in front of lean-auth (`1` for one load balancer, up to',
      '16), or their addresses or CIDRs separated by commas (`10.0.0.0/8,127.0.0.1`; the names',
      '`loopback`, `linklocal` and `uniquelocal` too). Set it behind a load balancer or reverse proxy,',
      'or every caller looks like the proxy. `false` and `0` are the same as unset; `true` is refused:',
      'any caller could then choose the address the throttle sees.',
    ],
    parse: (raw, { problems }) => parseTrustProxy(raw, problems),
  }),
] as const;
