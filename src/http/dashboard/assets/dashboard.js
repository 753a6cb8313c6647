// The dashboard's own script (served from /dashboard/assets, no inline script anywhere): copy
// buttons, the countdown of a rotated secret's grace period, and the live chart on the overview.
const SVG = 'http://www.w3.org/2000/svg';

function setUp(root) {
  for (const button of root.querySelectorAll('button.copy')) {
    if (button.dataset.ready) continue;
    button.dataset.ready = '1';
    button.addEventListener('click', async () => {
      const text = document.getElementById(button.dataset.copy)?.textContent ?? '';
      try {
        await navigator.clipboard.writeText(text);
        button.textContent = 'Copied';
      } catch {
        button.textContent = 'Select and copy by hand';
      }
    });
  }
  for (const timer of root.querySelectorAll('[data-countdown]')) startCountdown(timer);
  for (const chart of root.querySelectorAll('[data-chart]')) startChart(chart);
}

function startCountdown(element) {
  if (element.dataset.ready) return;
  element.dataset.ready = '1';
  const until = Date.parse(element.dataset.countdown);
  const tick = () => {
    const left = Math.max(0, Math.round((until - Date.now()) / 1000));
    const h = Math.floor(left / 3600);
    const m = Math.floor((left % 3600) / 60);
    const s = left % 60;
    element.textContent = left === 0 ? 'the old secret no longer works' : `${h}h ${m}m ${s}s left`;
    if (left > 0 && element.isConnected) setTimeout(tick, 1000);
  };
  tick();
}

function startChart(element) {
  if (element.dataset.ready) return;
  element.dataset.ready = '1';
  const draw = async () => {
    if (!element.isConnected) return;
    try {
      const response = await fetch(element.dataset.chart, { credentials: 'same-origin' });
      if (response.ok) render(element, await response.json());
    } catch {
      // The next tick tries again.
    }
    setTimeout(draw, 5000);
  };
  draw();
}

function render(element, series) {
  const width = 600;
  const height = 160;
  const all = [...series.api, ...series.customer, ...series.failed];
  const top = Math.max(1, ...all);
  const x = (i) => (i / (series.minutes.length - 1)) * (width - 40) + 30;
  const y = (v) => height - 20 - (v / top) * (height - 30);
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('aria-hidden', 'true');
  const line = (values, className) => {
    const path = document.createElementNS(SVG, 'polyline');
    path.setAttribute('points', values.map((v, i) => `${x(i)},${y(v)}`).join(' '));
    path.setAttribute('class', className);
    svg.append(path);
  };
  const label = (text, px, py) => {
    const t = document.createElementNS(SVG, 'text');
    t.setAttribute('x', String(px));
    t.setAttribute('y', String(py));
    t.textContent = text;
    svg.append(t);
  };
  label(String(top), 0, 14);
  label('0', 0, height - 20);
  label(series.minutes[0], 30, height - 4);
  label(series.minutes.at(-1), width - 50, height - 4);
  line(series.api, 'api');
  line(series.customer, 'customer');
  line(series.failed, 'failed');
  element.replaceChildren(svg);
}

document.addEventListener('DOMContentLoaded', () => setUp(document));
// htmx swaps in new content on boosted navigation: set it up too.
document.addEventListener('htmx:after:swap', () => setUp(document));
document.addEventListener('htmx:load', () => setUp(document));
