#!/usr/bin/env node
// Summarizes a V8 .cpuprofile (from `node --cpu-prof`): self time by where it is spent (lean-auth's
// own files, each npm package, Node's internals, native code such as the signature, GC, idle) and
// the functions with the most self time. Usage: node bench/profile-summary.mjs FILE.cpuprofile [top]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

function category(frame) {
  const { functionName, url } = frame;
  if (functionName.startsWith('(')) return functionName; // (garbage collector), (idle), (program), (root)
  if (url === '') return '(native / V8 builtins)';
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/').slice(0, 2).join('/')}`;
  const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return `npm ${pkg[1]}`;
  const own = /\/(?:dist|\.dist-snapshot)\/(src\/.*)$/.exec(url);
  if (own) return `lean-auth ${own[1]}`;
  const bench = /\/bench\/(.*)$/.exec(url);
  if (bench) return `bench ${bench[1]}`;
  return url;
}

/** Self time by category and in total, from a profile file. */
function selfTimes(file) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const byCategory = new Map();
  let busy = 0;
  let sign = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const frame = nodes.get(profile.samples[i]).callFrame;
    const dt = profile.timeDeltas[i] ?? 0;
    if (frame.functionName === '(idle)') continue;
    busy += dt;
    const cat =
      frame.functionName === 'signOneShot'
        ? 'the signature (signOneShot)'
        : frame.functionName === 'writev'
          ? 'socket writes (writev)'
          : category(frame);
    if (frame.functionName === 'signOneShot') sign += dt;
    byCategory.set(cat, (byCategory.get(cat) ?? 0) + dt);
  }
  return { byCategory, busy, sign };
}

/**
 * Compares two profiles of servers signing with the same algorithm, in units of one signature:
 * each category's self time divided by the time in signOneShot. Both servers sign once per token,
 * so this is CPU per token, measured in signatures, whatever the two runs' lengths were.
 */
export function compareProfiles(fileA, fileB, { top = 25 } = {}) {
  const a = selfTimes(fileA);
  const b = selfTimes(fileB);
  const cats = new Set([...a.byCategory.keys(), ...b.byCategory.keys()]);
  const rows = [...cats].map((cat) => {
    const ua = (a.byCategory.get(cat) ?? 0) / a.sign;
    const ub = (b.byCategory.get(cat) ?? 0) / b.sign;
    return { cat, ua, ub, diff: ua - ub };
  });
  rows.sort((x, y) => Math.abs(y.diff) - Math.abs(x.diff));
  const f = (v) => v.toFixed(3).padStart(7);
  const lines = [
    `  CPU per token in signatures (self time ÷ signOneShot time): A ${(a.busy / a.sign).toFixed(2)}, B ${(b.busy / b.sign).toFixed(2)}; A/B = ${(a.busy / a.sign / (b.busy / b.sign)).toFixed(3)}`,
    `  ${'A'.padStart(7)} ${'B'.padStart(7)} ${'A-B'.padStart(7)}  where`,
  ];
  for (const r of rows.slice(0, top)) lines.push(`  ${f(r.ua)} ${f(r.ub)} ${f(r.diff)}  ${r.cat}`);
  return lines.join('\n');
}

/** Returns a text summary of one profile. */
export function summarizeProfile(file, { top = 15 } = {}) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + dt);
    total += dt;
  }
  const byCategory = new Map();
  const byFunction = new Map();
  for (const [id, time] of self) {
    const frame = nodes.get(id).callFrame;
    const cat = category(frame);
    byCategory.set(cat, (byCategory.get(cat) ?? 0) + time);
    const where = frame.url
      ? `${frame.url.replace(/^.*\/(node_modules|dist|\.dist-snapshot|bench)\//, '$1/')}:${frame.lineNumber + 1}`
      : '';
    const key = `${frame.functionName || '(anonymous)'} ${where}`.trim();
    byFunction.set(key, (byFunction.get(key) ?? 0) + time);
  }
  const idle = byCategory.get('(idle)') ?? 0;
  const busy = total - idle;
  const pct = (t, of) => `${((100 * t) / of).toFixed(1).padStart(5)}%`;
  const lines = [
    `  ${(total / 1e6).toFixed(1)} s profiled, ${(busy / 1e6).toFixed(1)} s busy (percentages below are of busy time)`,
    '  by where:',
  ];
  const sorted = (map) => [...map].filter(([k]) => k !== '(idle)').sort((a, b) => b[1] - a[1]);
  for (const [cat, time] of sorted(byCategory).slice(0, top)) lines.push(`    ${pct(time, busy)}  ${cat}`);
  lines.push('  top functions by self time:');
  for (const [fn, time] of sorted(byFunction).slice(0, top)) lines.push(`    ${pct(time, busy)}  ${fn}`);
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const vs = args.indexOf('--vs');
  if (args.length === 0 || (vs !== -1 && !args[vs + 1])) {
    process.stderr.write(
      'usage: node bench/profile-summary.mjs FILE.cpuprofile [top]\n' +
        '       node bench/profile-summary.mjs A.cpuprofile --vs B.cpuprofile [top]   (same algorithm)\n',
    );
    process.exit(2);
  }
  if (vs !== -1) {
    const top = Number(args[vs + 2]) || 25;
    process.stdout.write(`${compareProfiles(args[0], args[vs + 1], { top })}\n`);
  } else {
    process.stdout.write(`${summarizeProfile(args[0], { top: Number(args[1]) || 15 })}\n`);
  }
}
