// `npm audit --omit=dev`, failing on high or critical advisories. Where the registry offers no audit
// endpoint (some mirrors answer 405) or cannot be reached, nothing was judged: it says so loudly on
// stderr, so that nobody takes the run for a clean audit, and does not fail the build for it.
import { spawnSync } from 'node:child_process';

/** The banner of an audit that did not happen. */
function notChecked(reason) {
  const rule = '!'.repeat(78);
  process.stderr.write(
    [
      rule,
      '!! audit NOT checked: the registry’s advisory endpoint could not be reached.',
      `!! ${reason}`,
      '!! No dependency was checked for known vulnerabilities. Run `npm audit --omit=dev`',
      '!! where the registry answers before you release.',
      rule,
      '',
    ].join('\n'),
  );
  return 0;
}

function audit() {
  const run = spawnSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8', timeout: 120_000 });
  let report;
  try {
    report = JSON.parse(run.stdout);
  } catch {
    return notChecked(`npm audit gave no report (exit ${run.status ?? run.signal ?? run.error?.message}).`);
  }
  const counts = report.metadata?.vulnerabilities;
  if (report.statusCode || report.error || typeof counts !== 'object' || counts === null) {
    return notChecked(
      `${report.message ?? report.error?.summary ?? 'The answer had no vulnerability counts'}.`,
    );
  }
  console.log(`npm audit --omit=dev: ${JSON.stringify(counts)}`);
  return counts.high + counts.critical > 0 ? 1 : 0;
}

process.exitCode = audit();
