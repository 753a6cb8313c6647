import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Ajv from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { REPOSITORY } from '../docs/markdown.js';

const CAPABILITY = join(REPOSITORY, 'integrations/naftiko/lean-authentication.capability.yml');

/**
 * The fields of a Naftiko capability this repository relies on, written here (Naftiko's published
 * schema cannot be kept in this repository; with NAFTIKO_SCHEMA set to a copy of it, the test
 * validates against that instead, see docs/naftiko.md).
 */
const STRUCTURE = {
  type: 'object',
  required: ['naftiko', 'info', 'binds', 'capability'],
  properties: {
    naftiko: { type: 'string', pattern: '^1\\.0\\.0-alpha[0-9]+$' },
    info: { type: 'object', required: ['label', 'description'] },
    binds: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['namespace', 'keys'],
        properties: { keys: { type: 'object', propertyNames: { pattern: '^[A-Z][A-Z0-9_]*$' } } },
      },
    },
    capability: {
      type: 'object',
      required: ['consumes', 'exposes'],
      properties: {
        consumes: {
          type: 'array',
          minItems: 1,
          items: { type: 'object', required: ['namespace', 'type', 'baseUri', 'resources'] },
        },
        exposes: {
          type: 'array',
          items: {
            type: 'object',
            required: ['type', 'namespace'],
            properties: { type: { enum: ['rest', 'mcp', 'skill', 'control'] } },
          },
        },
      },
    },
  },
} as const;

interface Operation {
  name: string;
  method: string;
  body?: { type: string; data: Record<string, string> };
}
interface Capability {
  binds: { keys: Record<string, string> }[];
  capability: {
    consumes: {
      namespace: string;
      baseUri: string;
      resources: { path: string; operations: Operation[] }[];
    }[];
    exposes: Record<string, unknown>[];
  };
}

describe('the Naftiko capability', () => {
  const document = parse(readFileSync(CAPABILITY, 'utf8')) as Capability;

  it(`validates against ${process.env.NAFTIKO_SCHEMA ? `Naftiko's published schema (${process.env.NAFTIKO_SCHEMA})` : 'the structure this repository relies on'}`, () => {
    const schema = process.env.NAFTIKO_SCHEMA
      ? JSON.parse(readFileSync(process.env.NAFTIKO_SCHEMA, 'utf8'))
      : STRUCTURE;
    const validate = new Ajv.default({ strict: false, allErrors: true, logger: false }).compile(schema);
    assert.ok(validate(document), JSON.stringify(validate.errors, null, 2));
  });

  it('consumes our POST /oauth2/token with the contract form parameters, from bound variables', () => {
    const [api] = document.capability.consumes;
    const token = api?.resources.find((r) => r.path === '/oauth2/token')?.operations[0];
    assert.equal(token?.method, 'POST');
    assert.equal(token?.body?.type, 'formUrlEncoded');
    assert.deepEqual(Object.keys(token?.body?.data ?? {}).sort(), [
      'client_id',
      'client_secret',
      'grant_type',
      'scope',
    ]);
    assert.equal(token?.body?.data.grant_type, 'client_credentials');
    const bound = new Set(document.binds.flatMap((b) => Object.keys(b.keys)));
    const used = [...JSON.stringify(document.capability).matchAll(/\{\{([A-Z][A-Z0-9_]*)\}\}/g)].map(
      (m) => m[1],
    );
    assert.ok(used.length >= 3);
    for (const name of used) assert.ok(bound.has(name ?? ''), `{{${name}}} is not bound`);
  });

  it('exposes a REST, an MCP and a skill surface whose calls name the consumed operation', () => {
    const exposes = document.capability.exposes;
    assert.deepEqual(exposes.map((e) => e.type).sort(), ['mcp', 'rest', 'skill']);
    const operations = new Set(
      document.capability.consumes.flatMap((c) =>
        c.resources.flatMap((r) => r.operations.map((o) => `${c.namespace}.${o.name}`)),
      ),
    );
    const calls = [...JSON.stringify(exposes).matchAll(/"call":"([^"]+)"/g)].map((m) => m[1]);
    assert.equal(calls.length, 2);
    for (const call of calls) assert.ok(operations.has(call ?? ''), `${call} is not a consumed operation`);
    const skills = exposes.find((e) => e.type === 'skill')?.skills as { location: string }[] | undefined;
    const skill = skills?.[0];
    assert.ok(existsSync(join(REPOSITORY, new URL(skill?.location ?? '').pathname, 'SKILL.md')));
  });
});
