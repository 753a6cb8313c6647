import { runLoad } from './load.mjs';
import { rssMiB } from './processes.mjs';
import { fmt } from './report.mjs';
import { tokenRequest, verifyToken } from './requests.mjs';
import { log, MILLION_TOKENS } from './settings.mjs';
import { startLeanAuth, stopTarget } from './targets.mjs';

export async function millionTokens(alg, store = 'sqlite') {
  log(
    `\nRSS over ${MILLION_TOKENS.toLocaleString('en')} tokens (lean-auth, ${store}, ${alg}, api, client_secret_post):`,
  );
  const target = await startLeanAuth(alg, store, { profile: false });
  const samples = [{ tokens: 0, rssMiB: rssMiB(target.proc.pid) }];
  try {
    await verifyToken(target, 'api', 'post');
    const req = tokenRequest(target, 'api', 'post');
    let tokens = 0;
    let rate = 0;
    let nextReport = 100_000;
    log(`  ${'0'.padStart(9)} tokens  RSS ${fmt(samples[0].rssMiB, 1)} MiB (after start)`);
    while (tokens < MILLION_TOKENS) {
      // Runs that end near each next 100k (the first, 5 s, measures the rate).
      const goal = Math.min(nextReport, MILLION_TOKENS);
      const seconds = rate === 0 ? 5 : Math.max(1, Math.round((goal - tokens) / rate));
      const run = await runLoad(target, req, seconds);
      if (run.non2xx > 0) throw new Error(`${run.non2xx} non-2xx responses during the million`);
      tokens += run.requests;
      rate = run.tokensPerSec;
      if (tokens >= nextReport || tokens >= MILLION_TOKENS) {
        const sample = { tokens, rssMiB: rssMiB(target.proc.pid) };
        samples.push(sample);
        log(`  ${tokens.toLocaleString('en').padStart(9)} tokens  RSS ${fmt(sample.rssMiB, 1)} MiB`);
        while (nextReport <= tokens) nextReport += 100_000;
      }
    }
  } finally {
    await stopTarget(target);
  }
  const last = samples.at(-1);
  const half = samples.find((s) => s.tokens >= last.tokens / 2) ?? last;
  return { alg, store, samples, finalRssMiB: last.rssMiB, growthSecondHalfMiB: last.rssMiB - half.rssMiB };
}
