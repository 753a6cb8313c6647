import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OAuthError } from '../../src/oauth/errors.js';
import { formatScope, parseScope } from '../../src/oauth/scope.js';

function scopeError(raw: string | undefined): OAuthError {
  try {
    parseScope(raw);
  } catch (error) {
    assert.ok(error instanceof OAuthError);
    assert.equal(error.error, 'invalid_scope');
    assert.equal(error.status, 400);
    return error;
  }
  assert.fail(`scope ${raw} was accepted`);
}

describe('parseScope', () => {
  it('reads api and customer scopes', () => {
    assert.deepEqual(parseScope('api'), { tokenClass: 'api' });
    const id = 'a1b2c3d4-e5f6-7890-abcd-ef0123456789';
    assert.deepEqual(parseScope(`customer.${id}`), { tokenClass: 'customer', customerId: id });
  });

  it('normalises an upper-case customer id, since UUIDs are case-insensitive', () => {
    const scope = parseScope('customer.A1B2C3D4-E5F6-7890-ABCD-EF0123456789');
    assert.equal(formatScope(scope), 'customer.a1b2c3d4-e5f6-7890-abcd-ef0123456789');
  });

  it('refuses a missing scope, naming both forms', () => {
    assert.match(scopeError(undefined).description, /scope is required.*'api'.*customer\.<customer_id>/);
  });

  it('refuses two scopes at once', () => {
    assert.match(
      scopeError('api customer.a1b2c3d4-e5f6-7890-abcd-ef0123456789').description,
      /one scope at a time/,
    );
  });

  it('refuses an unknown scope, naming it', () => {
    assert.match(scopeError('admin').description, /unknown scope 'admin'/);
    assert.match(scopeError('API').description, /unknown scope 'API'/);
  });

  it('refuses customer. with an empty or non-UUID id', () => {
    assert.match(scopeError('customer.').description, /needs a customer_id/);
    assert.match(scopeError('customer.42').description, /'42' is not a customer_id/);
  });
});
