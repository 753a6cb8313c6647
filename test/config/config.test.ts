import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/config.js';

const CWD = resolve('/srv', 'lean-auth');
const HEX_KEK = randomBytes(32).toString('hex');
const ADMIN_TOKEN = randomBytes(32).toString('hex');
const DAY_MS = 86_400_000;

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env, CWD);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    assert.equal(error.name, 'ConfigError');
    for (const problem of error.problems) assert.ok(error.message.includes(problem));
    return error.problems;
  }
  assert.fail(`configuration ${JSON.stringify(env)} was accepted`);
}

/** The one problem `env` has; it must name `variable`. */
function problemOf(env: Record<string, string>, variable: string): string {
  const problems = problemsOf(env);
  assert.equal(problems.length, 1, problems.join('\n'));
  const [problem = ''] = problems;
  assert.match(problem, new RegExp(`\\b${variable}\\b`));
  return problem;
}

describe('loadConfig', () => {
  it('has zero-configuration defaults', () => {
    const config = loadConfig({}, CWD);
    assert.equal(config.env, 'sandbox');
    assert.equal(config.port, 8080);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.issuer, 'http://localhost:8080');
    assert.equal(config.tokenAudience, 'http://localhost:8080');
    assert.deepEqual(config.database, { kind: 'sqlite', path: join(CWD, 'data', 'lean-auth.db') });
    assert.equal(config.dataDir, join(CWD, 'data'));
    assert.equal(config.keyEncryptionKey, undefined);
    assert.equal(config.signingAlg, 'RS256');
    assert.equal(config.apiTokenTtl, 3600);
    assert.equal(config.customerTokenTtl, 3600);
    assert.equal(config.logLevel, 'info');
    assert.equal(config.adminToken, undefined);
    assert.equal(config.adminPort, undefined);
    assert.equal(config.secretRotationGraceSeconds, 86_400);
    assert.equal(config.keyRotationIntervalMs, 30 * DAY_MS);
  });

  it('treats empty and blank variables as unset', () => {
    const config = loadConfig({ PORT: '', ISSUER: '  ', SIGNING_ALG: '', LEAN_AUTH_ENV: ' ' }, CWD);
    assert.equal(config.port, 8080);
    assert.equal(config.issuer, 'http://localhost:8080');
    assert.equal(config.signingAlg, 'RS256');
    assert.equal(config.env, 'sandbox');
  });

  it('derives the default issuer from PORT', () => {
    const config = loadConfig({ PORT: '9000' }, CWD);
    assert.equal(config.port, 9000);
    assert.equal(config.issuer, 'http://localhost:9000');
    assert.equal(config.tokenAudience, 'http://localhost:9000');
  });

  it('TOKEN_AUDIENCE overrides the audience, not the issuer', () => {
    const config = loadConfig(
      {
        LEAN_AUTH_ENV: 'sandbox',
        ISSUER: 'https://auth.example.com',
        TOKEN_AUDIENCE: 'https://api.example.com',
      },
      CWD,
    );
    assert.equal(config.issuer, 'https://auth.example.com');
    assert.equal(config.tokenAudience, 'https://api.example.com');
  });

  it('strips trailing slashes from ISSUER (and the default audience follows)', () => {
    const config = loadConfig({ LEAN_AUTH_ENV: 'sandbox', ISSUER: 'https://auth.example.com/' }, CWD);
    assert.equal(config.issuer, 'https://auth.example.com');
    assert.equal(config.tokenAudience, 'https://auth.example.com');
    assert.equal(
      loadConfig({ LEAN_AUTH_ENV: 'sandbox', ISSUER: 'https://auth.example.com/tenant//' }, CWD).issuer,
      'https://auth.example.com/tenant',
    );
  });

  it('refuses an ISSUER that is not an http(s) URL, or has a query or fragment', () => {
    for (const issuer of [
      'auth.example.com',
      'ftp://auth.example.com',
      'https://a.example/?x=1',
      'https://a.example/#f',
    ]) {
      problemOf({ ISSUER: issuer }, 'ISSUER');
    }
  });

  describe('KEY_ENCRYPTION_KEY', () => {
    const bytes = randomBytes(32);

    it('accepts 64 hex characters (either case)', () => {
      assert.deepEqual(
        loadConfig({ KEY_ENCRYPTION_KEY: bytes.toString('hex') }, CWD).keyEncryptionKey,
        bytes,
      );
      assert.deepEqual(
        loadConfig({ KEY_ENCRYPTION_KEY: bytes.toString('hex').toUpperCase() }, CWD).keyEncryptionKey,
        bytes,
      );
    });

    it('accepts base64 of 32 bytes', () => {
      assert.deepEqual(
        loadConfig({ KEY_ENCRYPTION_KEY: bytes.toString('base64') }, CWD).keyEncryptionKey,
        bytes,
      );
    });

    it('accepts base64url of 32 bytes, with or without its padding', () => {
      for (const raw of [bytes.toString('base64url'), `${bytes.toString('base64url')}=`]) {
        assert.deepEqual(loadConfig({ KEY_ENCRYPTION_KEY: raw }, CWD).keyEncryptionKey, bytes);
      }
    });

    it('decodes strictly: characters outside the alphabet, or stray bits, are refused (not skipped)', () => {
      const valid = bytes.toString('base64');
      for (const raw of [
        `${'A'.repeat(43)}=!!!!`,
        `${valid.slice(0, 40)}!!!=`,
        `${valid.slice(0, 20)} ${valid.slice(20)}`,
        `${valid.slice(0, 43)}==`,
        // The last character carries two bits past the 32nd byte: an encoder writes them as zero.
        `${'A'.repeat(42)}B=`,
      ]) {
        assert.match(problemOf({ KEY_ENCRYPTION_KEY: raw }, 'KEY_ENCRYPTION_KEY'), /32 bytes/, raw);
      }
    });

    it('refuses a key of one repeated byte (all zeros) in production, naming it', () => {
      const production = { LEAN_AUTH_ENV: 'production', ISSUER: 'https://auth.example.com', ADMIN_TOKEN };
      for (const raw of ['0'.repeat(64), `${'A'.repeat(43)}=`, 'f'.repeat(64)]) {
        assert.match(
          problemOf({ ...production, KEY_ENCRYPTION_KEY: raw }, 'KEY_ENCRYPTION_KEY'),
          /repeated|zeros/,
        );
      }
      assert.equal(loadConfig({ KEY_ENCRYPTION_KEY: '0'.repeat(64) }, CWD).keyEncryptionKey?.length, 32);
    });

    it('refuses any other length, naming the variable', () => {
      for (const raw of [
        randomBytes(16).toString('hex'),
        randomBytes(31).toString('base64'),
        randomBytes(33).toString('base64'),
        `${bytes.toString('hex')}00`,
        'too-short',
      ]) {
        assert.match(problemOf({ KEY_ENCRYPTION_KEY: raw }, 'KEY_ENCRYPTION_KEY'), /32 bytes/);
      }
    });
  });

  describe('durations: every one takes the forms of KEY_ROTATION_INTERVAL', () => {
    it('reads seconds, s, m, h and d for API_TOKEN_TTL, CUSTOMER_TOKEN_TTL, SECRET_ROTATION_GRACE and CACHE_STALE_TTL', () => {
      const config = loadConfig(
        {
          API_TOKEN_TTL: '1h',
          CUSTOMER_TOKEN_TTL: '10m',
          SECRET_ROTATION_GRACE: '7d',
          CACHE_STALE_TTL: '90s',
        },
        CWD,
      );
      assert.equal(config.apiTokenTtl, 3600);
      assert.equal(config.customerTokenTtl, 600);
      assert.equal(config.secretRotationGraceSeconds, 7 * 86_400);
      assert.equal(config.cacheStaleTtlSeconds, 90);
      assert.equal(loadConfig({ API_TOKEN_TTL: '1d' }, CWD).apiTokenTtl, 86_400);
      assert.equal(loadConfig({ API_TOKEN_TTL: '3600s' }, CWD).apiTokenTtl, 3600);
      assert.equal(loadConfig({ CACHE_STALE_TTL: '0' }, CWD).cacheStaleTtlSeconds, 0);
    });

    it('refuses a duration out of range, naming the variable, the bounds and the forms', () => {
      const problem = problemOf({ API_TOKEN_TTL: '2d' }, 'API_TOKEN_TTL');
      assert.match(problem, /from 1m \(60 s\) to 1d \(86400 s\)/);
      assert.match(problem, /12h/);
      assert.match(problemOf({ CUSTOMER_TOKEN_TTL: '9m' }, 'CUSTOMER_TOKEN_TTL'), /LinkSDK/);
      problemOf({ SECRET_ROTATION_GRACE: '8d' }, 'SECRET_ROTATION_GRACE');
      problemOf({ CACHE_STALE_TTL: '2d' }, 'CACHE_STALE_TTL');
      problemOf({ CACHE_STALE_TTL: '5 m' }, 'CACHE_STALE_TTL');
    });
  });

  describe('token lifetimes', () => {
    it('accepts lifetimes in range', () => {
      const config = loadConfig({ API_TOKEN_TTL: '60', CUSTOMER_TOKEN_TTL: '600' }, CWD);
      assert.equal(config.apiTokenTtl, 60);
      assert.equal(config.customerTokenTtl, 600);
      assert.equal(
        loadConfig({ API_TOKEN_TTL: '86400', CUSTOMER_TOKEN_TTL: '86400' }, CWD).customerTokenTtl,
        86_400,
      );
    });

    it('refuses CUSTOMER_TOKEN_TTL=599, naming the variable and the LinkSDK reason', () => {
      const problem = problemOf({ CUSTOMER_TOKEN_TTL: '599' }, 'CUSTOMER_TOKEN_TTL');
      assert.match(problem, /600/);
      assert.match(problem, /'599'/);
      assert.match(problem, /LinkSDK/);
    });

    it('refuses API_TOKEN_TTL out of range or not a whole number', () => {
      for (const raw of ['59', '86401', '1e3', '3600.5', '-60', 'hour']) {
        const problem = problemOf({ API_TOKEN_TTL: raw }, 'API_TOKEN_TTL');
        assert.doesNotMatch(problem, /LinkSDK/);
      }
      problemOf({ CUSTOMER_TOKEN_TTL: '86401' }, 'CUSTOMER_TOKEN_TTL');
    });
  });

  it('refuses a bad SIGNING_ALG, naming the variable and the choices', () => {
    const problem = problemOf({ SIGNING_ALG: 'HS256' }, 'SIGNING_ALG');
    assert.match(problem, /RS256, PS256, ES256, EdDSA/);
    assert.match(problem, /'HS256'/);
    problemOf({ SIGNING_ALG: 'rs256' }, 'SIGNING_ALG');
    for (const alg of ['RS256', 'PS256', 'ES256', 'EdDSA']) {
      assert.equal(loadConfig({ SIGNING_ALG: alg }, CWD).signingAlg, alg);
    }
  });

  it('refuses a bad PORT, naming the variable', () => {
    for (const raw of ['http', '65536', '-1', '80.5', '8080x']) {
      assert.match(problemOf({ PORT: raw }, 'PORT'), new RegExp(`'${raw.replace('.', '\\.')}'`));
    }
    assert.equal(loadConfig({ PORT: '65535' }, CWD).port, 65_535);
    assert.equal(loadConfig({ PORT: ' 3000 ' }, CWD).port, 3000);
  });

  it('refuses a bad LOG_LEVEL, naming the variable', () => {
    assert.match(problemOf({ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL'), /'verbose'/);
    assert.equal(loadConfig({ LOG_LEVEL: 'silent' }, CWD).logLevel, 'silent');
  });

  it('refuses a bad LEAN_AUTH_ENV, naming the variable', () => {
    assert.match(problemOf({ LEAN_AUTH_ENV: 'staging' }, 'LEAN_AUTH_ENV'), /'staging'/);
  });

  describe('DATABASE_URL', () => {
    it('resolves a relative sqlite path against the working directory and keeps an absolute one', () => {
      const relative = loadConfig({ DATABASE_URL: 'sqlite:var/db/auth.db' }, CWD);
      assert.deepEqual(relative.database, { kind: 'sqlite', path: join(CWD, 'var', 'db', 'auth.db') });
      assert.equal(relative.dataDir, join(CWD, 'var', 'db'));
      const absolute = loadConfig({ DATABASE_URL: 'sqlite:/data/auth.db' }, CWD);
      assert.deepEqual(absolute.database, { kind: 'sqlite', path: '/data/auth.db' });
      assert.equal(absolute.dataDir, '/data');
      assert.deepEqual(loadConfig({ DATABASE_URL: 'sqlite:///data/auth.db' }, CWD).database, {
        kind: 'sqlite',
        path: '/data/auth.db',
      });
    });

    it('accepts a postgres:// or postgresql:// URL as it is', () => {
      for (const url of ['postgres://lean:pw@db.example:5432/auth', 'postgresql://db.example/auth']) {
        assert.deepEqual(loadConfig({ DATABASE_URL: url }, CWD).database, { kind: 'postgres', url });
      }
    });

    it('refuses an unsupported or empty URL, naming the variable and hiding a password', () => {
      problemOf({ DATABASE_URL: 'sqlite:' }, 'DATABASE_URL');
      problemOf({ DATABASE_URL: 'data/lean-auth.db' }, 'DATABASE_URL');
      const problem = problemOf({ DATABASE_URL: 'mysql://root:hunter2@db.example/auth' }, 'DATABASE_URL');
      assert.doesNotMatch(problem, /hunter2/);
    });
  });

  describe('production', () => {
    it('accepts an https issuer with a key encryption key', () => {
      const config = loadConfig(
        {
          LEAN_AUTH_ENV: 'production',
          ISSUER: 'https://auth.example.com',
          KEY_ENCRYPTION_KEY: HEX_KEK,
          ADMIN_TOKEN,
        },
        CWD,
      );
      assert.equal(config.env, 'production');
      assert.equal(config.issuer, 'https://auth.example.com');
    });

    it('refuses a plain-http ISSUER', () => {
      const problem = problemOf(
        {
          LEAN_AUTH_ENV: 'production',
          ISSUER: 'http://auth.example.com',
          KEY_ENCRYPTION_KEY: HEX_KEK,
          ADMIN_TOKEN,
        },
        'ISSUER',
      );
      assert.match(problem, /https/);
    });

    it('refuses a plain-http ISSUER whatever the case of its scheme', () => {
      problemOf(
        {
          LEAN_AUTH_ENV: 'production',
          ISSUER: 'HTTP://auth.example.com',
          KEY_ENCRYPTION_KEY: HEX_KEK,
          ADMIN_TOKEN,
        },
        'ISSUER',
      );
    });

    it('refuses a missing KEY_ENCRYPTION_KEY', () => {
      problemOf(
        { LEAN_AUTH_ENV: 'production', ISSUER: 'https://auth.example.com', ADMIN_TOKEN },
        'KEY_ENCRYPTION_KEY',
      );
    });

    it('lists every problem at once: http issuer, missing key encryption key, missing admin token', () => {
      const problems = problemsOf({ LEAN_AUTH_ENV: 'production' });
      assert.equal(problems.length, 3, problems.join('\n'));
      assert.ok(problems.some((p) => /ISSUER must use https/.test(p)));
      assert.ok(problems.some((p) => /KEY_ENCRYPTION_KEY is required in production/.test(p)));
      assert.ok(problems.some((p) => /ADMIN_TOKEN is required in production/.test(p)));
    });

    it('refuses a missing ADMIN_TOKEN, naming it and its minimum length', () => {
      const problem = problemOf(
        { LEAN_AUTH_ENV: 'production', ISSUER: 'https://auth.example.com', KEY_ENCRYPTION_KEY: HEX_KEK },
        'ADMIN_TOKEN',
      );
      assert.match(problem, /required in production/);
      assert.match(problem, /32/);
    });

    it('sandbox accepts the same settings production refuses', () => {
      const config = loadConfig({ LEAN_AUTH_ENV: 'sandbox', ISSUER: 'http://auth.example.com' }, CWD);
      assert.equal(config.issuer, 'http://auth.example.com');
      assert.equal(config.keyEncryptionKey, undefined);
    });
  });

  describe('ADMIN_TOKEN', () => {
    it('accepts 32 characters or more, as given', () => {
      assert.equal(loadConfig({ ADMIN_TOKEN }, CWD).adminToken, ADMIN_TOKEN);
      const exactly32 = 'a'.repeat(32);
      assert.equal(loadConfig({ ADMIN_TOKEN: exactly32 }, CWD).adminToken, exactly32);
    });

    it('refuses a token shorter than 32 characters, naming the variable, without echoing it', () => {
      for (const token of ['short', 'x'.repeat(31)]) {
        const problem = problemOf({ ADMIN_TOKEN: token }, 'ADMIN_TOKEN');
        assert.match(problem, /at least 32/);
        assert.ok(!problem.includes(token), 'the refused token is not repeated in the message');
      }
      // In the sandbox too: a weak token is refused wherever it is set.
      problemOf({ LEAN_AUTH_ENV: 'sandbox', ADMIN_TOKEN: 'password' }, 'ADMIN_TOKEN');
    });

    it('treats a blank ADMIN_TOKEN as unset (sandbox: generated later; production: required)', () => {
      assert.equal(loadConfig({ ADMIN_TOKEN: '   ' }, CWD).adminToken, undefined);
      problemOf(
        {
          LEAN_AUTH_ENV: 'production',
          ISSUER: 'https://auth.example.com',
          KEY_ENCRYPTION_KEY: HEX_KEK,
          ADMIN_TOKEN: ' ',
        },
        'ADMIN_TOKEN',
      );
    });
  });

  describe('ADMIN_TOKEN rules', () => {
    const production = {
      LEAN_AUTH_ENV: 'production',
      ISSUER: 'https://auth.example.com',
      KEY_ENCRYPTION_KEY: HEX_KEK,
    };

    it('refuses whitespace inside the token in every mode, without echoing it', () => {
      const token = `${ADMIN_TOKEN.slice(0, 32)} ${ADMIN_TOKEN.slice(32)}`;
      for (const env of [{}, { LEAN_AUTH_ENV: 'sandbox' }, production] as Record<string, string>[]) {
        const problem = problemOf({ ...env, ADMIN_TOKEN: token }, 'ADMIN_TOKEN');
        assert.match(problem, /whitespace/);
        assert.ok(!problem.includes(ADMIN_TOKEN.slice(0, 32)));
      }
      problemOf({ ADMIN_TOKEN: `${ADMIN_TOKEN}\t${ADMIN_TOKEN}` }, 'ADMIN_TOKEN');
    });

    it('in production refuses 32 repeated characters, a repeated word or a short hex token: too little entropy', () => {
      for (const token of ['a'.repeat(32), 'Password1'.repeat(8), '0123456789abcdef'.repeat(2)]) {
        const problem = problemOf({ ...production, ADMIN_TOKEN: token }, 'ADMIN_TOKEN');
        assert.match(problem, /too easy to guess/);
        assert.match(problem, /128 bits/);
        assert.ok(!problem.includes(token));
      }
    });

    it('in production accepts what openssl rand -hex 32 and -base64 32 make', () => {
      for (let i = 0; i < 20; i++) {
        for (const token of [randomBytes(32).toString('hex'), randomBytes(32).toString('base64')]) {
          assert.equal(loadConfig({ ...production, ADMIN_TOKEN: token }, CWD).adminToken, token);
        }
      }
    });
  });

  describe('LEAN_AUTH_ENV left unset', () => {
    it('refuses a HOST other machines can reach, saying to choose sandbox or production', () => {
      for (const host of ['0.0.0.0', '::', '10.1.2.3', 'auth.example.com']) {
        const problem = problemOf({ HOST: host }, 'LEAN_AUTH_ENV');
        assert.match(problem, /LEAN_AUTH_ENV=production/);
        assert.match(problem, /LEAN_AUTH_ENV=sandbox/);
        assert.ok(problem.includes(`HOST=${host}`), problem);
      }
    });

    it('refuses an https ISSUER', () => {
      assert.match(problemOf({ ISSUER: 'https://auth.example.com' }, 'LEAN_AUTH_ENV'), /ISSUER=https/);
    });

    it('is sandbox on a loopback HOST with an http issuer, and either mode may be chosen anywhere', () => {
      for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) {
        assert.equal(loadConfig({ HOST: host }, CWD).env, 'sandbox', host);
      }
      const chosen = loadConfig(
        { LEAN_AUTH_ENV: 'sandbox', HOST: '0.0.0.0', ISSUER: 'https://a.example' },
        CWD,
      );
      assert.equal(chosen.env, 'sandbox');
      assert.equal(chosen.host, '0.0.0.0');
    });
  });

  describe('HOST', () => {
    it('refuses an address with a port, naming HOST, the accepted forms and PORT', () => {
      const problem = problemOf({ HOST: 'localhost:18106' }, 'HOST');
      assert.match(problem, /'localhost:18106'/);
      assert.match(problem, /127\.0\.0\.1, 0\.0\.0\.0 or ::/);
      assert.match(problem, /PORT=18106/);
      assert.match(problemOf({ HOST: '[::1]:8080' }, 'HOST'), /PORT=8080/);
    });

    it('refuses a URL or something that is no host name', () => {
      for (const host of ['http://0.0.0.0', 'local host', 'a_b.example', '-x.example', '999.1.1.1:80']) {
        problemOf({ HOST: host }, 'HOST');
      }
    });

    it('accepts IP addresses and host names; [::1] is read as ::1', () => {
      const host = (raw: string) => loadConfig({ LEAN_AUTH_ENV: 'sandbox', HOST: raw }, CWD).host;
      assert.equal(host('0.0.0.0'), '0.0.0.0');
      assert.equal(host('::'), '::');
      assert.equal(host('[::1]'), '::1');
      assert.equal(host('auth-1.internal.example'), 'auth-1.internal.example');
    });
  });

  describe('ADMIN_PORT', () => {
    it('is unset by default and accepts a port of its own', () => {
      assert.equal(loadConfig({}, CWD).adminPort, undefined);
      assert.equal(loadConfig({ ADMIN_PORT: '9090' }, CWD).adminPort, 9090);
      assert.equal(loadConfig({ PORT: '9000', ADMIN_PORT: '8080' }, CWD).adminPort, 8080);
    });

    it('refuses ADMIN_PORT equal to PORT (also to the default 8080), naming both', () => {
      const problem = problemOf({ PORT: '9000', ADMIN_PORT: '9000' }, 'ADMIN_PORT');
      assert.match(problem, /ADMIN_PORT must differ from PORT/);
      problemOf({ ADMIN_PORT: '8080' }, 'ADMIN_PORT');
    });

    it('refuses an ADMIN_PORT that is not a port number', () => {
      for (const raw of ['admin', '65536', '-1', '80.5']) {
        assert.match(
          problemOf({ ADMIN_PORT: raw }, 'ADMIN_PORT'),
          new RegExp(`'${raw.replace('.', '\\.')}'`),
        );
      }
    });
  });

  describe('SECRET_ROTATION_GRACE', () => {
    it('defaults to 86400 s and accepts whole seconds from 0 (immediate) to a week', () => {
      assert.equal(loadConfig({}, CWD).secretRotationGraceSeconds, 86_400);
      assert.equal(loadConfig({ SECRET_ROTATION_GRACE: '0' }, CWD).secretRotationGraceSeconds, 0);
      assert.equal(loadConfig({ SECRET_ROTATION_GRACE: '3600' }, CWD).secretRotationGraceSeconds, 3600);
      assert.equal(loadConfig({ SECRET_ROTATION_GRACE: '604800' }, CWD).secretRotationGraceSeconds, 604_800);
    });

    it('refuses a grace that is negative, over a week or not a whole number, naming the variable', () => {
      for (const raw of ['-1', '604801', '1.5', 'day', '1e3']) {
        const problem = problemOf({ SECRET_ROTATION_GRACE: raw }, 'SECRET_ROTATION_GRACE');
        assert.ok(problem.includes(`'${raw}'`), problem);
      }
    });
  });

  describe('KEY_ROTATION_INTERVAL', () => {
    it('defaults to 30 days', () => {
      assert.equal(loadConfig({}, CWD).keyRotationIntervalMs, 30 * DAY_MS);
    });

    it('accepts durations in days, hours, minutes and seconds, plain seconds, and 0 for never', () => {
      const interval = (raw: string) => loadConfig({ KEY_ROTATION_INTERVAL: raw }, CWD).keyRotationIntervalMs;
      assert.equal(interval('30d'), 30 * DAY_MS);
      assert.equal(interval('1d'), DAY_MS);
      assert.equal(interval('12h'), 12 * 3_600_000);
      assert.equal(interval('90m'), 90 * 60_000);
      assert.equal(interval('3600s'), 3_600_000);
      assert.equal(interval('7200'), 7_200_000);
      assert.equal(interval('0'), 0);
      assert.equal(interval(' 12h '), 12 * 3_600_000);
    });

    it('refuses a malformed duration or one under an hour, naming the variable and the forms', () => {
      for (const raw of ['soon', '30 d', '1.5d', '-1d', '12H', '1w', '59m', '3599s', '1s', 'd']) {
        const problem = problemOf({ KEY_ROTATION_INTERVAL: raw }, 'KEY_ROTATION_INTERVAL');
        assert.ok(problem.includes(`'${raw}'`), problem);
        assert.match(problem, /30d/);
      }
    });
  });

  it('reports several unrelated problems together', () => {
    const problems = problemsOf({
      PORT: 'x',
      SIGNING_ALG: 'none',
      LOG_LEVEL: 'loud',
      CUSTOMER_TOKEN_TTL: '1',
    });
    assert.equal(problems.length, 4, problems.join('\n'));
    for (const variable of ['PORT', 'SIGNING_ALG', 'LOG_LEVEL', 'CUSTOMER_TOKEN_TTL']) {
      assert.ok(
        problems.some((p) => p.includes(variable)),
        variable,
      );
    }
  });

  it('returns a frozen configuration', () => {
    const config = loadConfig({}, CWD);
    assert.ok(Object.isFrozen(config));
    assert.throws(() => {
      (config as { port: number }).port = 1;
    }, TypeError);
    assert.equal(config.port, 8080);
  });
});

describe('loadConfig: the throttle and audit settings', () => {
  it('prefixes Redis keys per deployment: by default from the issuer, or REDIS_PREFIX', () => {
    assert.equal(loadConfig({}, CWD).redisPrefix, 'lean-auth:http://localhost:8080:');
    assert.equal(
      loadConfig({ LEAN_AUTH_ENV: 'sandbox', ISSUER: 'https://auth.example.com/' }, CWD).redisPrefix,
      'lean-auth:https://auth.example.com:',
    );
    assert.equal(loadConfig({ REDIS_PREFIX: 'eu-sandbox:' }, CWD).redisPrefix, 'eu-sandbox:');
    for (const bad of ['two words', 'x'.repeat(201), 'tab\there']) {
      assert.match(problemOf({ REDIS_PREFIX: bad }, 'REDIS_PREFIX'), /printable/);
    }
  });

  it('keeps audit events 400 days by default; AUDIT_RETENTION_DAYS=0 keeps them for ever', () => {
    assert.equal(loadConfig({}, CWD).auditRetentionDays, 400);
    assert.equal(loadConfig({ AUDIT_RETENTION_DAYS: '0' }, CWD).auditRetentionDays, 0);
    assert.equal(loadConfig({ AUDIT_RETENTION_DAYS: '30' }, CWD).auditRetentionDays, 30);
    for (const bad of ['-1', '1.5', 'forever', '36501']) {
      assert.match(problemOf({ AUDIT_RETENTION_DAYS: bad }, 'AUDIT_RETENTION_DAYS'), /whole number/);
    }
  });
});
