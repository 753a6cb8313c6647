// The report: tables, checks, results.json and the chart (npm run bench: bench/run.mjs).
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { results } from './measure.mjs';
import { ALGS, BUILT_CLI, CONNECTIONS, disturbed, LOAD_CPU, ROOT, SERVER_CPU } from './settings.mjs';
import { loadgenVersion, packageVersion, TASKSET } from './tools.mjs';

export function fmt(value, digits = 1) {
  return value === undefined || Number.isNaN(value) ? '-' : value.toFixed(digits);
}

function find(target, alg, token, auth = 'post', store, beside) {
  return results.find(
    (r) =>
      r.target === target &&
      r.alg === alg &&
      r.token === token &&
      r.auth === auth &&
      !r.error &&
      (store === undefined || r.store === store) &&
      r.beside === beside,
  );
}

export function table(rows, headers) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) =>
    cells.map((c, i) => (i < 5 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function ratios() {
  const out = [];
  for (const alg of ALGS) {
    for (const token of ['api', 'customer']) {
      for (const auth of ['post', 'basic']) {
        const lean = find('lean-auth', alg, token, auth, 'sqlite');
        const floor = find('floor', alg, token, auth);
        const peer = find('oidc-provider', alg, token, auth);
        if (!lean || (!floor && !peer)) continue;
        out.push({
          alg,
          token,
          auth,
          leanTokensPerSec: lean.tokensPerSec,
          floorTokensPerSec: floor?.tokensPerSec,
          oidcProviderTokensPerSec: peer?.tokensPerSec,
          leanOverFloor: floor ? lean.tokensPerSec / floor.tokensPerSec : undefined,
          // The same comparison by server CPU time per token: hardly moved by other processes.
          leanOverFloorByCpu: floor ? floor.cpuMicrosPerToken / lean.cpuMicrosPerToken : undefined,
          disturbed: [lean, floor, peer].some((r) => r && disturbed(r)),
          leanOverOidcProvider: peer ? lean.tokensPerSec / peer.tokensPerSec : undefined,
        });
      }
    }
  }
  return out;
}

export function evaluateTargets(ratioRows, extra) {
  const checks = [];
  const check = (name, pass, measured) => checks.push({ name, pass, measured });
  for (const r of ratioRows) {
    if (r.leanOverFloor === undefined || r.auth !== 'post') continue;
    const goal = r.alg === 'RS256' ? 0.9 : 0.85;
    check(
      `${r.alg} ${r.token}: lean-auth ≥ ${goal * 100}% of the floor`,
      r.leanOverFloor >= goal,
      `${fmt(r.leanOverFloor * 100, 1)}% (by CPU time per token: ${fmt(r.leanOverFloorByCpu * 100, 1)}%)${r.disturbed ? ' [disturbed run]' : ''}`,
    );
  }
  for (const alg of ALGS) {
    const api = find('lean-auth', alg, 'api', 'post', 'sqlite');
    const customer = find('lean-auth', alg, 'customer', 'post', 'sqlite');
    if (api && customer) {
      const ratio = customer.tokensPerSec / api.tokensPerSec;
      check(
        `${alg}: customer tokens within 5% of api tokens`,
        ratio >= 0.95,
        `${fmt(ratio * 100, 1)}% of api`,
      );
    }
    for (const token of ['api', 'customer']) {
      const sqlite = find('lean-auth', alg, token, 'post', 'sqlite');
      const postgres = find('lean-auth', alg, token, 'post', 'postgres');
      if (sqlite && postgres) {
        const ratio = postgres.tokensPerSec / sqlite.tokensPerSec;
        check(
          `${alg} ${token}: PostgreSQL store within 10% of SQLite`,
          ratio >= 0.9,
          `${fmt(ratio * 100, 1)}% of SQLite`,
        );
      }
    }
  }
  const es256 = results.filter(
    (r) => r.target === 'lean-auth' && r.alg === 'ES256' && r.token !== 'unknown' && !r.beside && !r.error,
  );
  if (es256.length > 0) {
    const worst = Math.max(...es256.map((r) => r.p99ms));
    check(
      `ES256: lean-auth p99 ≤ 5 ms with ${CONNECTIONS} connections`,
      worst <= 5,
      `worst p99 ${fmt(worst, 2)} ms`,
    );
  }
  const lean = results.filter((r) => r.target === 'lean-auth' && r.token !== 'unknown');
  if (lean.length > 0) {
    const bad = lean.reduce((n, r) => n + (r.error ? 1 : r.non2xx + r.socketErrors), 0);
    check('lean-auth: no non-2xx responses (nor socket errors, nor failed runs)', bad === 0, `${bad}`);
  }
  for (const store of ['sqlite', 'postgres']) {
    const unknown = find('lean-auth', 'ES256', 'unknown', 'post', store);
    const valid = find('lean-auth', 'ES256', 'customer', 'post', store, 'unknown');
    if (unknown && valid) {
      const ratio = unknown.reqPerSec / valid.tokensPerSec;
      check(
        `ES256 ${store}: 100% unknown customer ids ≥ 50% of the valid-token rate`,
        ratio >= 0.5,
        `${fmt(ratio * 100, 1)}%`,
      );
    }
  }
  const starts = extra.starts.filter((s) => s.target === 'lean-auth');
  if (starts.length > 0) {
    const worst = Math.max(...starts.map((s) => s.ms));
    check('lean-auth: start to first token ≤ 1 s', worst <= 1000, `worst ${fmt(worst, 0)} ms`);
  }
  for (const q of extra.dbQueries) {
    if (q.kind === 'customer' && q.syscalls !== undefined) {
      const idle = extra.dbQueries.find(
        (c) => c.kind === 'idle' && c.alg === q.alg && c.syscalls !== undefined,
      );
      const control = extra.dbQueries.find((c) => c.kind === 'unknown' && c.alg === q.alg);
      const background = idle ? (idle.syscalls / idle.seconds) * q.seconds : 0;
      const excess = Math.max(0, q.syscalls - background);
      q.excessPerRequest = excess / Math.max(1, q.requests);
      const detects = control?.perRequest >= 0.5;
      check(
        `${q.alg}: no database query per warm token request (SQLite file syscalls under strace)`,
        q.excessPerRequest < 0.01 && detects,
        `${q.syscalls} syscalls in ${q.requests} requests, ${fmt(background, 0)} of them expected from the idle background: ${fmt(q.excessPerRequest, 4)} per request; control ${fmt(control?.perRequest, 2)} per request${detects ? '' : ' (the control run did not show queries: inconclusive)'}`,
      );
    }
  }
  if (extra.million) {
    const m = extra.million;
    check(
      `RSS ≤ 120 MB after ${m.samples.at(-1).tokens.toLocaleString('en')} tokens`,
      m.finalRssMiB * 1.048576 <= 120,
      `${fmt(m.finalRssMiB * 1.048576, 1)} MB`,
    );
    check(
      'RSS not growing (second half ≤ +5%)',
      m.growthSecondHalfMiB <= m.finalRssMiB * 0.05,
      `${m.growthSecondHalfMiB >= 0 ? '+' : ''}${fmt(m.growthSecondHalfMiB, 1)} MiB over the second half`,
    );
  }
  return checks;
}

export function machine() {
  const cpu = cpus();
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT })
      .toString()
      .trim();
    if (dirty) commit += ' (src has uncommitted changes)';
  } catch {
    // not a git checkout
  }
  return {
    cpu: cpu[0]?.model ?? 'unknown',
    cpus: cpu.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    loadGenerator: loadgenVersion(),
    oidcProvider: packageVersion('oidc-provider'),
    leanAuthCommit: commit,
    distBuiltAt: new Date(statSync(BUILT_CLI).mtimeMs).toISOString(),
    pinned: TASKSET
      ? `server on CPU ${SERVER_CPU}, load generator on CPU ${LOAD_CPU} (taskset)`
      : 'not pinned (no taskset or < 2 CPUs)',
  };
}

export function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}
