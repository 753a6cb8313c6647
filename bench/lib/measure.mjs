import { combine, runLoad } from './load.mjs';
import { rssMiB } from './processes.mjs';
import { fmt } from './report.mjs';
import { tokenRequest, verifyToken } from './requests.mjs';
import {
  CONNECTIONS,
  disturbed,
  log,
  quiet,
  RETRIES,
  ROUND_WARMUP,
  ROUNDS,
  SECONDS,
  WARMUP,
} from './settings.mjs';
import { waitForQuiet } from './targets.mjs';

export const results = [];

const labelOf = (target, kind, auth, connections) =>
  `${target.name}${target.store !== '-' ? `/${target.store}` : ''} ${target.alg} ${kind} ${auth}${connections !== CONNECTIONS ? ` c${connections}` : ''}`;

/**
 * One kind of request against several servers at once: verify each, warm each up, then ROUNDS
 * interleaved rounds (each server in turn, the order rotating), so that a slow drift of the machine
 * touches all of them alike; a round that others disturbed is measured again (bounded). Each round
 * of each server starts with ROUND_WARMUP seconds of unmeasured load: it sat idle while the others
 * ran, and V8 shrinks an idle process's young generation. extra.connections: other than CONNECTIONS.
 */
export async function measureCase(targets, kind, auth, extra = {}, loadOptions = {}) {
  return measureSet(targets.map((target) => ({ target, kind, auth, extra, loadOptions })));
}

export async function measureSet(entries) {
  const cases = [];
  for (const { target, kind, auth, extra, loadOptions = {} } of entries) {
    const connections = extra.connections ?? CONNECTIONS;
    const row = {
      target: target.name,
      store: target.store,
      alg: target.alg,
      token: kind,
      auth,
      ...extra,
      connections,
      ...(target.variant && { variant: target.variant }),
    };
    const label =
      labelOf(target, kind, auth, connections) +
      (extra.beside ? ` (beside ${extra.beside})` : '') +
      (target.variant ? ` ${target.variant}` : '');
    try {
      row.verified = await verifyToken(target, kind, auth);
      const req = tokenRequest(target, kind, auth);
      const options = { ...loadOptions, connections };
      if (WARMUP > 0) await runLoad(target, req, WARMUP, options);
      cases.push({ target, row, req, options, label, kind, auth, runs: [], waited: 0 });
    } catch (error) {
      row.error = error.message;
      log(`  ${label.padEnd(46)} FAILED: ${error.message}`);
      results.push(row);
    }
  }
  const roundSeconds = Math.max(1, Math.round(SECONDS / ROUNDS));
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < cases.length; i++) {
      const c = cases[(i + round) % cases.length];
      if (c.row.error) continue;
      try {
        c.waited += await waitForQuiet([c.target.proc.pid]);
        if (ROUND_WARMUP > 0) await runLoad(c.target, c.req, ROUND_WARMUP, c.options);
        let run = await runLoad(c.target, c.req, roundSeconds, c.options);
        for (
          let retry = 0;
          disturbed(run) && retry < RETRIES && quiet.budget > roundSeconds * 1000;
          retry++
        ) {
          quiet.budget -= roundSeconds * 1000;
          c.waited += await waitForQuiet([c.target.proc.pid]);
          const again = await runLoad(c.target, c.req, roundSeconds, c.options);
          c.retries = (c.retries ?? 0) + 1;
          if (again.otherServerTicks < run.otherServerTicks) run = again;
        }
        c.runs.push(run);
      } catch (error) {
        c.row.error = error.message;
      }
    }
  }
  for (const c of cases) {
    const { row, target, label, kind, auth } = c;
    try {
      if (row.error) throw new Error(row.error);
      Object.assign(row, combine(c.runs), { waitedForQuietSeconds: c.waited, retries: c.retries ?? 0 });
      if (c.runs.some((r) => r.poolRanOut)) row.poolRanOut = true;
      // After the measured runs: the token must still verify (the server did not degrade into errors).
      await verifyToken(target, kind, auth);
      row.rssMiB = rssMiB(target.proc.pid);
      log(
        `  ${label.padEnd(46)} ${fmt(kind === 'unknown' ? row.reqPerSec : row.tokensPerSec, 0).padStart(7)} ${kind === 'unknown' ? 'answers' : 'tokens'}/s (rounds ±${fmt(row.spread / 2, 0)}%)  p50 ${fmt(row.p50ms, 2)} ms  p99 ${fmt(row.p99ms, 2)} ms  non-2xx ${row.non2xx}  cpu ${fmt(row.serverCpu, 0)}%/${fmt(row.loadCpu, 0)}%  ${fmt(row.cpuMicrosPerToken, 0)} µs/token${disturbed(row) ? `  (disturbed: others took ${fmt(row.otherServerCpu, 0)}% of the server CPU, ${fmt(row.otherLoadCpu, 0)}% of the load CPU)` : ''}`,
      );
    } catch (error) {
      row.error = error.message;
      log(`  ${label.padEnd(46)} FAILED: ${error.message}`);
    }
    results.push(row);
  }
}
