import { resolve } from 'node:path';
import { parseListenHost } from '../listen-host.js';
import { integer } from '../numbers.js';
import { isHttpUrl, oneOf, setting } from '../setting.js';
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
    unset: '`sandbox`, with the exception below',
    section: 'Environment',
    description: [
      '`sandbox` or `production`.',
      '- `sandbox` needs no configuration. On a first start with an empty database it creates a demo',
      '  application with one demo customer and prints their credentials once, on standard error as',
      '  plain text (standard output carries only the JSON log lines). Without `KEY_ENCRYPTION_KEY` it',
      '  generates one (and every start without the variable warns, once, that it uses that key);',
      '  without `ADMIN_TOKEN` it generates one and prints it on the start that made it. On SQLite both',
      '  are kept in the data folder, in `key-encryption.key` and `admin-token` (written once, mode 0600,',
      '  read again on later starts); on PostgreSQL in the database, in the table `sandbox_secrets`, so',
      '  that every instance finds them whichever folder it starts from.',
      '- `production` refuses to start without `KEY_ENCRYPTION_KEY` and `ADMIN_TOKEN`, with an `ISSUER`',
      '  that is not `https`, with an `ADMIN_TOKEN` of too little entropy or a `KEY_ENCRYPTION_KEY` that',
      '  is a placeholder (see [security](security.md#admin_token-and-key_encryption_key)), and creates no',
      '  demo application. It never reads `sandbox_secrets`.',
      '- Unset is `sandbox` only on this machine: when `LEAN_AUTH_ENV` is not set and `HOST` is set to an',
      '  address that is not a loopback one (anything but `localhost` or a name ending in `.localhost`,',
      '  127.0.0.0/8 or `::1`), or `ISSUER` is an `https` URL, the server refuses to start and says to',
      '  choose `LEAN_AUTH_ENV=production` or `LEAN_AUTH_ENV=sandbox` (as in the example above). A',
      '  container that listens on `0.0.0.0` therefore sets it.',
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
      'The address to listen on, an IP address (`127.0.0.1`, `0.0.0.0`, `::`, `[::1]`) or a host name',
      '(`localhost`), without a scheme or a port: `HOST=localhost:18106` is refused at start with',
      '`… (set the port with PORT=18106)`. `0.0.0.0` accepts connections from other machines (in a',
      'container, for instance); any address but a loopback one needs `LEAN_AUTH_ENV` set.',
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
    description: [
      "A PEM file of the certificate's private key, read once at start; goes with `TLS_CERT_FILE`: set",
      'both or neither. A relative path is taken from the folder the server starts in.',
    ],
    parse: (raw, { cwd }) => path(raw, cwd),
  }),
  setting({
    name: 'TLS_CLIENT_CA_FILE',
    key: 'tlsClientCaFile',
    flag: '--tls-client-ca-file',
    unset: 'no client certificate chain is trusted: `tls_client_auth` works only behind a trusted proxy',
    section: 'Listening',
    description: [
      'A PEM file of the CA certificates that issue client certificates for `tls_client_auth`',
      '([mutual TLS](client-authentication.md#mutual-tls-rfc-8705)), read once at start. With',
      '`TLS_CERT_FILE`, the public port always asks for a client certificate but lets a client without',
      'one in; a chain is trusted only when it verifies against these CAs. Needs `TLS_CERT_FILE`.',
    ],
    parse: (raw, { cwd, problems, earlier }) => {
      if (raw !== undefined && earlier.tlsCertFile === undefined) {
        problems.push(
          'TLS_CLIENT_CA_FILE needs TLS_CERT_FILE and TLS_KEY_FILE: it verifies our own TLS clients',
        );
      }
      return path(raw, cwd);
    },
  }),
  setting({
    name: 'MTLS_BASE_URL',
    key: 'mtlsBaseUrl',
    flag: '--mtls-base-url',
    unset: 'mutual TLS is served at `ISSUER`',
    section: 'Listening',
    description: [
      'Where the OAuth endpoints are served with mutual TLS when that is another address than',
      '`ISSUER` (say a host name whose proxy asks for client certificates): the metadata then',
      'advertises the token, introspection and revocation endpoints under it as',
      '`mtls_endpoint_aliases` (RFC 8705 §5). An `http(s)` URL without query or fragment.',
    ],
    parse: (raw, { problems }) => {
      if (raw === undefined) return undefined;
      const url = raw.replace(/\/+$/, '');
      if (!isHttpUrl(url))
        problems.push(`MTLS_BASE_URL must be an http(s) URL without query or fragment, got '${raw}'`);
      return url;
    },
  }),
  setting({
    name: 'TRUST_PROXY',
    key: 'trustProxy',
    flag: '--trust-proxy',
    unset: 'no proxy is trusted, `X-Forwarded-For` is ignored',
    section: 'Listening',
    description: [
      "Whose `X-Forwarded-For` header gives the caller's address, which the",
      '[failure throttle](security.md#the-failure-throttle) (it never refuses valid credentials) and the',
      'audit log use. Set it behind a load balancer or reverse proxy, or every caller looks like the',
      "proxy. Unset, `false` or `0`: the caller is the socket's peer and `X-Forwarded-For` is ignored.",
      '`TRUST_PROXY=true` is refused: it would believe every `X-Forwarded-For`, so any caller could choose',
      'the address the throttle and the audit log see. Anything else that is neither of the two forms',
      'below (`yes`, `1.2.3.4/99`, a host name) is refused with the forms. How the address is then found:',
      '[security](security.md#trusted-proxies-and-x-forwarded-for).',
      '- the **number of proxies** in front of lean-auth, 1 to 16 (`TRUST_PROXY=1` for one load',
      "  balancer): that many addresses of the chain (the socket's peer, then `X-Forwarded-For` from right",
      '  to left) are taken as proxies, and the next one is the caller. Use a count only when nothing can',
      '  reach lean-auth except through those proxies: a count cannot check who the peer is.',
      "- a **comma-separated list of the proxies' addresses or CIDRs** (`10.0.0.5,192.168.0.0/16`), and",
      '  the names `loopback` (127.0.0.0/8, ::1), `linklocal` (169.254.0.0/16, fe80::/10) and',
      '  `uniquelocal` (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7): the caller is the rightmost',
      '  address that is not one of them.',
    ],
    parse: (raw, { problems }) => parseTrustProxy(raw, problems),
  }),
  setting({
    name: 'JWKS_URI_ALLOW_PRIVATE',
    key: 'jwksUriAllowPrivate',
    flag: '--jwks-uri-allow-private',
    default: 'false',
    section: 'Environment',
    description: [
      "`true` lets an application's `jwks_uri` (see [client authentication](client-authentication.md))",
      'point at loopback and private addresses (127.0.0.0/8, 10.0.0.0/8, 192.168.0.0/16, fc00::/7, …):',
      'for tests and sandboxes. `false` (the default) refuses them, checking every address the name',
      'resolves to, so that a registered URI cannot make the server reach its own network (SSRF).',
      'Refused in production.',
    ],
    parse: (raw = 'false', { problems, earlier }) => {
      if (raw !== 'true' && raw !== 'false') {
        problems.push(`JWKS_URI_ALLOW_PRIVATE must be true or false, got '${raw.slice(0, 40)}'`);
      }
      if (raw === 'true' && earlier.env === 'production') {
        problems.push('JWKS_URI_ALLOW_PRIVATE=true is refused in production');
      }
      return raw === 'true';
    },
  }),
  setting({
    name: 'OAUTH_FAST_PATH',
    key: 'oauthFastPath',
    flag: '--oauth-fast-path',
    default: 'true',
    section: 'Listening',
    description: [
      '`true` (the default) answers a form `POST` to the token, introspection and revocation endpoints',
      'in a plain `node:http` listener in front of the web framework, through the same OAuth code and',
      'with the same answers, headers, access log and metrics: about a fifth of a token request',
      "(see [performance](performance.md)). `false` sends every request through the framework's",
      'router: for comparison, or to rule the fast path out when looking for a fault.',
    ],
    parse: (raw = 'true', { problems }) => {
      if (raw !== 'true' && raw !== 'false') {
        problems.push(`OAUTH_FAST_PATH must be true or false, got '${raw.slice(0, 40)}'`);
      }
      return raw !== 'false';
    },
  }),
] as const;
