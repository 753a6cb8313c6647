import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { ClientCredentials } from '../../helpers/test-server.js';
import { formEncode, nastyText, wellFormed } from './arbitraries.js';
import type { FuzzRequest, FuzzTarget } from './fuzz-target.js';

/** What one check of a property came to. */
interface FuzzOutcome {
  readonly failed: boolean;
  readonly interrupted: boolean;
  readonly numRuns: number;
  readonly seed: number;
  /** The counterexample's path, to replay it with FUZZ_SEED and FUZZ_PATH. */
  readonly path: string | undefined;
  /** fast-check's report: seed, path, counterexample and error. */
  readonly report: string;
}

export interface CheckOptions {
  readonly seed: number;
  readonly numRuns: number;
  readonly path?: string | undefined;
  /** Stop generating (and shrinking) after this long; what ran by then counts. */
  readonly timeLimitMs?: number;
}

/** A property of the server, checked against a FuzzTarget. */
interface FuzzProperty {
  readonly name: string;
  /** Runs in CI, with the fixed seed. */
  readonly runs: number;
  check(target: FuzzTarget, options: CheckOptions): Promise<FuzzOutcome>;
}

/** One server configuration and the properties checked against it. */
export interface FuzzSuite {
  readonly name: string;
  readonly env: Record<string, string>;
  readonly properties: readonly FuzzProperty[];
}

export function property<Ts extends [unknown, ...unknown[]]>(
  name: string,
  runs: number,
  build: (target: FuzzTarget) => fc.IAsyncPropertyWithHooks<Ts>,
): FuzzProperty {
  return {
    name,
    runs,
    async check(target, options) {
      const details = await fc.check(build(target), {
        seed: options.seed,
        numRuns: options.numRuns,
        ...(options.path !== undefined && { path: options.path }),
        ...(options.timeLimitMs !== undefined && {
          interruptAfterTimeLimit: options.timeLimitMs,
          markInterruptAsFailure: false,
        }),
      });
      return {
        failed: details.failed,
        interrupted: details.interrupted,
        numRuns: details.numRuns,
        seed: details.seed,
        path: details.counterexamplePath ?? undefined,
        report: details.failed
          ? `${name}\n${fc.defaultReportMessage(details) ?? ''}\nError: ${errorText(details.errorInstance)}`
          : `${name}: ${details.numRuns} runs, no failure`,
      };
    },
  };
}

function errorText(error: unknown): string {
  if (error instanceof Error)
    return `${error.message}\n${error.stack?.split('\n').slice(1, 4).join('\n') ?? ''}`;
  return String(error);
}

/** Sends, checks the answer's invariants and the log, and remembers what the answer revealed. */
export async function exchange(target: FuzzTarget, request: FuzzRequest) {
  const response = await target.send(request);
  target.checkAnswer(request, response);
  target.harvest(response);
  await target.checkLog(`${request.method} ${request.url.slice(0, 80)}`);
  return response;
}

export const FORM = 'application/x-www-form-urlencoded';
export const form = (pairs: readonly (readonly [string, string])[]) =>
  pairs.map(([name, value]) => `${formEncode(name)}=${formEncode(value)}`).join('&');
export const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${formEncode(id)}:${formEncode(secret)}`).toString('base64')}`;
const OAUTH_PARAMETERS = new Set(['grant_type', 'scope', 'client_id', 'client_secret', 'token']);

/** Unknown parameters, which every OAuth endpoint ignores: never a known name, never twice. */
export const unknownParameters = fc.array(fc.tuple(nastyText, nastyText), { maxLength: 4 }).map((pairs) => {
  const seen = new Set<string>();
  return pairs.filter(([name]) => {
    const decoded = wellFormed(name);
    if (OAUTH_PARAMETERS.has(decoded) || seen.has(decoded)) return false;
    seen.add(decoded);
    return true;
  });
});

/** Whether `request` carries `secret` in its body or its HTTP Basic credentials. */
export function carries(request: FuzzRequest, secret: string): boolean {
  const encoded = /^\s*basic\s+(\S+)/i.exec(request.headers.authorization ?? '')?.[1];
  const basicText = encoded ? Buffer.from(encoded, 'base64').toString('utf8') : '';
  const body = request.body === undefined ? '' : request.body.toString();
  return basicText.includes(secret) || body.includes(secret) || body.includes(formEncode(secret));
}

/** Asserts a token answer in full and returns the verified claims. */
export async function expectToken(
  target: FuzzTarget,
  response: { statusCode: number; body: string; headers: Record<string, unknown> },
) {
  assert.equal(response.statusCode, 200, response.body);
  assert.equal(response.headers['cache-control'], 'no-store');
  assert.equal(response.headers.pragma, 'no-cache');
  const body = JSON.parse(response.body) as Record<string, unknown>;
  assert.equal(body.token_type, 'bearer');
  return { body, claims: await target.verify(String(body.access_token)) };
}

export function oauthForm(
  url: string,
  credentials: ClientCredentials,
  useBasic: boolean,
  parameters: [string, string][],
  address: string,
): FuzzRequest {
  const pairs: [string, string][] = [...parameters];
  const headers: Record<string, string> = { 'content-type': FORM };
  if (useBasic) headers.authorization = basic(credentials.clientId, credentials.clientSecret);
  else pairs.push(['client_id', credentials.clientId], ['client_secret', credentials.clientSecret]);
  return { method: 'POST', url, headers, body: form(pairs), remoteAddress: address };
}
