import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Client } from '../../src/domain/client.js';
import { jwksFetchWarnings } from '../../src/server/jwks-fetch-warnings.js';

describe('jwksFetchWarnings: one warning a minute per application', () => {
  it('names the client_id, the URI without its query and the reason; once a minute per client', () => {
    const lines: { object: Record<string, unknown>; message: string }[] = [];
    let now = 0;
    const warn = jwksFetchWarnings(
      { warn: (object, message) => lines.push({ object: object as Record<string, unknown>, message }) },
      () => now,
    );
    const a = { clientId: 'a' } as Client;
    const b = { clientId: 'b' } as Client;
    warn(a, 'https://keys.example/jwks.json?token=hush', new Error('jwks_uri answered 500'));
    warn(a, 'https://keys.example/jwks.json', new Error('jwks_uri answered 500'));
    warn(b, 'https://keys.example/b.json', new Error('jwks_uri did not answer within 3000 ms'));
    assert.deepEqual(
      lines.map((l) => l.object),
      [
        { client_id: 'a', jwks_uri: 'https://keys.example/jwks.json', reason: 'jwks_uri answered 500' },
        {
          client_id: 'b',
          jwks_uri: 'https://keys.example/b.json',
          reason: 'jwks_uri did not answer within 3000 ms',
        },
      ],
    );
    assert.match(lines[0]?.message ?? '', /jwks_uri failed.*invalid_client/);
    now = 59_999;
    warn(a, 'https://keys.example/jwks.json', new Error('again'));
    assert.equal(lines.length, 2);
    now = 60_000;
    warn(a, 'https://keys.example/jwks.json', new Error('again'));
    assert.equal(lines.length, 3);
    assert.doesNotMatch(JSON.stringify(lines), /hush/);
  });
});
