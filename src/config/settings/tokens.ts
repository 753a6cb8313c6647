import { formatDuration } from '../duration.js';
import {
  MAX_SECRET_GRACE_SECONDS,
  MAX_TOKEN_LIFETIME,
  MIN_API_TOKEN_LIFETIME,
  MIN_CUSTOMER_TOKEN_LIFETIME,
} from '../limits.js';
import { duration, rotationInterval } from '../numbers.js';
import { isHttpUrl, oneOf, setting } from '../setting.js';
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from '../signing-algorithms.js';

/** What the tokens say and how long they and the keys that sign them live. */
export const TOKEN_SETTINGS = [
  setting({
    name: 'ISSUER',
    key: 'issuer',
    flag: '--issuer',
    unset: '`http://localhost:$PORT`',
    section: 'Tokens',
    description: [
      'The `iss` of every token and the base of every URL in the metadata document. An `http` or',
      '`https` URL without query or fragment; trailing slashes are removed. Must be `https` in',
      'production. Tokens carry it, so changing it ends every token issued before (verifiers check',
      '`iss`).',
    ],
    parse: (raw, { problems, earlier }) => {
      const issuer = (raw ?? `http://localhost:${earlier.port}`).replace(/\/+$/, '');
      if (!isHttpUrl(issuer))
        problems.push(`ISSUER must be an http(s) URL without query or fragment, got '${issuer}'`);
      return issuer;
    },
  }),
  setting({
    name: 'TOKEN_AUDIENCE',
    key: 'tokenAudience',
    flag: '--token-audience',
    unset: 'the issuer',
    section: 'Tokens',
    description: ['The `aud` of every token, the identifier of the APIs that accept these tokens.'],
    parse: (raw, { earlier }) => raw ?? String(earlier.issuer),
  }),
  setting({
    name: 'API_TOKEN_TTL',
    key: 'apiTokenTtl',
    flag: '--api-token-ttl',
    default: '1h',
    section: 'Tokens',
    description: [
      `The lifetime of \`api\` tokens, a [duration](#durations) from \`${formatDuration(MIN_API_TOKEN_LIFETIME)}\` to \`${formatDuration(MAX_TOKEN_LIFETIME)}\`.`,
    ],
    parse: (raw, { problems }) =>
      duration(
        'API_TOKEN_TTL',
        raw,
        { fallback: 3600, min: MIN_API_TOKEN_LIFETIME, max: MAX_TOKEN_LIFETIME },
        problems,
      ),
  }),
  setting({
    name: 'CUSTOMER_TOKEN_TTL',
    key: 'customerTokenTtl',
    flag: '--customer-token-ttl',
    default: '1h',
    section: 'Tokens',
    description: [
      `The lifetime of customer tokens, a [duration](#durations) from \`${formatDuration(MIN_CUSTOMER_TOKEN_LIFETIME)}\` to \`${formatDuration(MAX_TOKEN_LIFETIME)}\`.`,
      `The LinkSDK refuses a token with less than ${MIN_CUSTOMER_TOKEN_LIFETIME / 60} minutes of validity left, so less is refused.`,
      'Each application may override both lifetimes, within the same bounds',
      '(`lean-auth apps update CLIENT_ID --api-token-ttl 900`).',
    ],
    parse: (raw, { problems }) =>
      duration(
        'CUSTOMER_TOKEN_TTL',
        raw,
        {
          fallback: 3600,
          min: MIN_CUSTOMER_TOKEN_LIFETIME,
          max: MAX_TOKEN_LIFETIME,
          why: `the LinkSDK refuses a customer token with less than ${MIN_CUSTOMER_TOKEN_LIFETIME} seconds of validity left`,
        },
        problems,
      ),
  }),
  setting({
    name: 'SIGNING_ALG',
    key: 'signingAlg',
    flag: '--signing-alg',
    default: 'RS256',
    section: 'Tokens',
    description: [
      '`RS256`, `PS256`, `ES256` or `EdDSA` (Ed25519). Keys are RSA 2048, P-256 or Ed25519. When the',
      'active key is of another algorithm, the next start makes a new key of this one and signs with it',
      'at once; the old key stays published until its tokens have expired.',
    ],
    parse: (raw = 'RS256', { problems }): SigningAlgorithm => {
      if (oneOf(raw, SIGNING_ALGORITHMS)) return raw;
      problems.push(`SIGNING_ALG must be one of ${SIGNING_ALGORITHMS.join(', ')}, got '${raw}'`);
      return 'RS256';
    },
  }),
  setting({
    name: 'KEY_ROTATION_INTERVAL',
    key: 'keyRotationIntervalMs',
    flag: '--key-rotation-interval',
    default: '30d',
    section: 'Tokens',
    description: [
      'How long a signing key signs before the server publishes the next one by itself (checked every',
      'minute on every instance; one rotation wins). A duration of at least one hour, such as `30d`,',
      '`12h`, `90m` or `3600s` (a [duration](#durations)); `0` turns the schedule off.',
    ],
    parse: (raw, { problems }) => rotationInterval(raw, problems),
  }),
  setting({
    name: 'SECRET_ROTATION_GRACE',
    key: 'secretRotationGraceSeconds',
    flag: '--secret-rotation-grace',
    default: '1d',
    section: 'Tokens',
    description: [
      'How long a rotated-out client secret keeps working when the rotation does not say, a',
      '[duration](#durations) from `0` to `7d`; `0` ends it at once.',
    ],
    parse: (raw, { problems }) =>
      duration(
        'SECRET_ROTATION_GRACE',
        raw,
        { fallback: 86_400, min: 0, max: MAX_SECRET_GRACE_SECONDS },
        problems,
      ),
  }),
  setting({
    name: 'DPOP_NONCE',
    key: 'dpopNonce',
    flag: '--dpop-nonce',
    default: 'off',
    section: 'Tokens',
    description: [
      '`on` makes every DPoP proof at the token endpoint carry a server nonce (RFC 9449 §8): a proof',
      'without one, or with a stale one, is answered `400 use_dpop_nonce` with the nonce to use in',
      '`DPoP-Nonce`, and every token answer to a DPoP request carries the next one. Nonces are HMACs of',
      'a 5-minute window under a key derived from `KEY_ENCRYPTION_KEY`, so every instance accepts',
      "every other's with nothing shared at run time. `off` (the default): no nonces.",
    ],
    parse: (raw = 'off', { problems }) => {
      if (raw !== 'on' && raw !== 'off')
        problems.push(`DPOP_NONCE must be on or off, got '${raw.slice(0, 40)}'`);
      return raw === 'on';
    },
  }),
] as const;
