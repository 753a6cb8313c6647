// Draws the ratios of a bench report as a hand-written SVG bar chart: lean-auth as a share of the
// floor (with the 85% / 90% targets) and as a multiple of oidc-provider (with the 3× reference).

const COLORS = {
  'api post': '#2b6cb0',
  'customer post': '#63b3ed',
  'api basic': '#805ad5',
  'customer basic': '#b794f4',
};
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function panel({ x, y, width, height, title, rows, value, format, max, step, guides, sharedGuide }) {
  const algs = [...new Set(rows.map((r) => r.alg))];
  const series = [...new Set(rows.map((r) => `${r.token} ${r.auth}`))];
  const plotTop = y + 28;
  const plotHeight = height - 58;
  const groupWidth = width / Math.max(1, algs.length);
  const barWidth = Math.min(46, (groupWidth - 24) / Math.max(1, series.length));
  const scale = (v) => plotTop + plotHeight - (Math.min(v, max) / max) * plotHeight;
  const out = [`<text x="${x}" y="${y + 14}" class="title">${esc(title)}</text>`];
  // Axis and grid.
  for (let i = 0; i * step <= max + 1e-9; i++) {
    const v = i * step;
    const gy = scale(v);
    out.push(`<line x1="${x}" x2="${x + width}" y1="${gy}" y2="${gy}" class="grid"/>`);
    out.push(`<text x="${x - 6}" y="${gy + 4}" class="axis" text-anchor="end">${esc(format(v))}</text>`);
  }
  algs.forEach((alg, g) => {
    const gx = x + g * groupWidth + (groupWidth - barWidth * series.length) / 2;
    series.forEach((s, i) => {
      const row = rows.find((r) => r.alg === alg && `${r.token} ${r.auth}` === s);
      const v = row ? value(row) : undefined;
      if (v === undefined) return;
      const bx = gx + i * barWidth;
      const by = scale(v);
      out.push(
        `<rect x="${bx + 2}" y="${by}" width="${barWidth - 4}" height="${plotTop + plotHeight - by}" fill="${COLORS[s] ?? '#718096'}"><title>${esc(`${alg} ${s}: ${format(v)}`)}</title></rect>`,
      );
      out.push(
        `<text x="${bx + barWidth / 2}" y="${by - 4}" class="value" text-anchor="middle">${esc(format(v))}</text>`,
      );
    });
    const guide = guides?.(alg);
    if (guide !== undefined) {
      const gy = scale(guide.value);
      out.push(
        `<line x1="${gx - 6}" x2="${gx + barWidth * series.length + 6}" y1="${gy}" y2="${gy}" class="target"/>`,
      );
    }
    out.push(
      `<text x="${x + g * groupWidth + groupWidth / 2}" y="${plotTop + plotHeight + 18}" class="axis" text-anchor="middle">${alg}</text>`,
    );
    if (guide !== undefined) {
      out.push(
        `<text x="${x + g * groupWidth + groupWidth / 2}" y="${plotTop + plotHeight + 32}" class="note" text-anchor="middle">${esc(guide.label)}</text>`,
      );
    }
  });
  if (sharedGuide !== undefined) {
    const gy = scale(sharedGuide.value);
    out.push(
      `<line x1="${x}" x2="${x + width}" y1="${gy}" y2="${gy}" class="target"/>`,
      `<text x="${x + width}" y="${gy - 4}" class="note" text-anchor="end">${esc(sharedGuide.label)}</text>`,
    );
  }
  return { svg: out.join('\n'), series };
}

export function renderChart(report) {
  const rows = report.ratios;
  const width = 860;
  const height = 410;
  const floorRows = rows.filter((r) => r.leanOverFloor !== undefined);
  const peerRows = rows.filter((r) => r.leanOverOidcProvider !== undefined);
  const floorMax = Math.ceil(Math.max(1.0, ...floorRows.map((r) => r.leanOverFloor * 1.08)) * 5) / 5;
  const peerMax = Math.max(4, ...peerRows.map((r) => Math.ceil(r.leanOverOidcProvider + 0.5)));
  const left = panel({
    x: 60,
    y: 44,
    width: 340,
    height: 290,
    title: 'lean-auth tokens/s as % of the floor',
    rows: floorRows,
    value: (r) => r.leanOverFloor,
    format: (v) => `${Math.round(v * 100)}%`,
    max: floorMax,
    step: 0.2,
    guides: (alg) => ({
      value: alg === 'RS256' ? 0.9 : 0.85,
      label: alg === 'RS256' ? 'target ≥ 90%' : 'target ≥ 85%',
    }),
  });
  const right = panel({
    x: 500,
    y: 44,
    width: 340,
    height: 290,
    title: 'lean-auth tokens/s ÷ oidc-provider tokens/s',
    rows: peerRows,
    value: (r) => r.leanOverOidcProvider,
    format: (v) => `${v.toFixed(1)}×`,
    max: peerMax,
    step: 1,
    sharedGuide: { value: 3, label: 'about 3× (issue 5)' },
  });
  const series = [...new Set([...left.series, ...right.series])];
  let lx = 60;
  const legend = series
    .map((s) => {
      const label = s.replace(' post', ' (client_secret_post)').replace(' basic', ' (client_secret_basic)');
      const item = `<rect x="${lx}" y="${height - 44}" width="12" height="12" fill="${COLORS[s] ?? '#718096'}"/><text x="${lx + 16}" y="${height - 34}" class="axis">${esc(label)}</text>`;
      lx += 16 + label.length * 5.8 + 18;
      return item;
    })
    .join('\n');
  const disturbedNote = rows.some((r) => r.disturbed)
    ? `<text x="60" y="${height - 12}" class="note">! some of these runs shared the benchmark CPUs with other processes (see results.json): their ratios are less certain</text>`
    : '';
  const targetKey = `<line x1="${width - 150}" x2="${width - 126}" y1="${height - 38}" y2="${height - 38}" class="target"/><text x="${width - 120}" y="${height - 34}" class="axis">target</text>`;
  const m = report.machine;
  const subtitle = `${m.cpu}, one core for the server (${report.settings.loadGenerator} on the other), ${report.settings.connections} connections, ${report.settings.seconds} s per server and request kind, Node ${m.node}, ${report.date.slice(0, 10)}`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" role="img">
<title>lean-auth token throughput as a share of the bare-jose floor, with oidc-provider for comparison</title>
<style>
  .title { font-size: 14px; font-weight: 600; fill: #1a202c; }
  .subtitle { font-size: 11px; fill: #4a5568; }
  .axis { font-size: 11px; fill: #4a5568; }
  .value { font-size: 10px; fill: #1a202c; }
  .note { font-size: 10px; fill: #c53030; }
  .grid { stroke: #e2e8f0; stroke-width: 1; }
  .target { stroke: #c53030; stroke-width: 1.5; stroke-dasharray: 5 3; }
</style>
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="20" y="20" class="title">lean-auth token issuance, relative to the floor and to oidc-provider ${esc(m.oidcProvider)}</text>
<text x="20" y="36" class="subtitle">${esc(subtitle)}</text>
${left.svg}
${right.svg}
${legend}
${targetKey}
${disturbedNote}
</svg>
`;
}
