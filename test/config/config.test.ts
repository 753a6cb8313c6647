import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/config.js';

const CWD = resolve('/srv', 'lean-auth');
const HEX_KEK = randomBytes(32).toString('hex');

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
      { ISSUER: 'https://auth.example.com', TOKEN_AUDIENCE: 'https://api.example.com' },
      CWD,
    );
    assert.equal(config.issuer, 'https://auth.example.com');
    assert.equal(config.tokenAudience, 'https://api.example.com');
  });

  it('strips trailing slashes from ISSUER (and the default audience follows)', () => {
    const config = loadConfig({ ISSUER: 'https://auth.example.com/' }, CWD);
    assert.equal(config.issuer, 'https://auth.example.com');
    assert.equal(config.tokenAudience, 'https://auth.example.com');
    assert.equal(
      loadConfig({ ISSUER: 'https://auth.example.com/tenant//' }, CWD).issuer,
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
        { LEAN_AUTH_ENV: 'production', ISSUER: 'https://auth.example.com', KEY_ENCRYPTION_KEY: HEX_KEK },
        CWD,
      );
      assert.equal(config.env, 'production');
      assert.equal(config.issuer, 'https://auth.example.com');
    });

    it('refuses a plain-http ISSUER', () => {
      const problem = problemOf(
        { LEAN_AUTH_ENV: 'production', ISSUER: 'http://auth.example.com', KEY_ENCRYPTION_KEY: HEX_KEK },
        'ISSUER',
      );
      assert.match(problem, /https/);
    });

    it('refuses a plain-http ISSUER whatever the case of its scheme', () => {
      problemOf(
        { LEAN_AUTH_ENV: 'production', ISSUER: 'HTTP://auth.example.com', KEY_ENCRYPTION_KEY: HEX_KEK },
        'ISSUER',
      );
    });

    it('refuses a missing KEY_ENCRYPTION_KEY', () => {
      problemOf({ LEAN_AUTH_ENV: 'production', ISSUER: 'https://auth.example.com' }, 'KEY_ENCRYPTION_KEY');
    });

    it('lists every problem at once: http issuer and missing key encryption key', () => {
      const problems = problemsOf({ LEAN_AUTH_ENV: 'production' });
      assert.equal(problems.length, 2, problems.join('\n'));
      assert.ok(problems.some((p) => /ISSUER must use https/.test(p)));
      assert.ok(problems.some((p) => /KEY_ENCRYPTION_KEY is required in production/.test(p)));
    });

    it('sandbox accepts the same settings production refuses', () => {
      const config = loadConfig({ LEAN_AUTH_ENV: 'sandbox', ISSUER: 'http://auth.example.com' }, CWD);
      assert.equal(config.issuer, 'http://auth.example.com');
      assert.equal(config.keyEncryptionKey, undefined);
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
