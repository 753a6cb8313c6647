import type { Operator } from '../../domain/operators/operator.js';
import { type Html, html } from './html.js';

/** Who is looking at a page, and what it may do. */
export interface Viewer {
  readonly operator: Operator;
  readonly csrf: string;
  /** Admins write; viewers see no write control (and the server refuses their writes). */
  readonly canWrite: boolean;
}

const NAV = [
  ['Overview', '/dashboard/overview'],
  ['Applications', '/dashboard/applications'],
  ['Customers', '/dashboard/customers'],
  ['Signing keys', '/dashboard/keys'],
  ['Audit log', '/dashboard/audit'],
  ['Try it', '/dashboard/try-it'],
  ['Account', '/dashboard/account'],
] as const;

/** A whole page: no inline script or style, every asset from this origin. */
export function page(title: string, body: Html, viewer?: Viewer, current?: string): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · lean-auth</title>
<link rel="stylesheet" href="/dashboard/assets/dashboard.css">
<script src="/dashboard/assets/htmx.js" defer></script>
<script src="/dashboard/assets/dashboard.js" defer></script>
</head>
<body hx-boost:inherited="true">
<a class="skip" href="#main">Skip to content</a>
<header>
<p class="brand">lean-auth</p>
${viewer && navigation(viewer, current)}
</header>
<main id="main">
<h1>${title}</h1>
${body}
</main>
</body>
</html>`.markup;
}

function navigation(viewer: Viewer, current: string | undefined): Html {
  return html`<nav aria-label="Dashboard">
<ul>${NAV.map(
    ([label, href]) =>
      html`<li><a href="${href}"${current === label ? html` aria-current="page"` : ''}>${label}</a></li>`,
  )}</ul>
<form method="post" action="/dashboard/sign-out" class="sign-out">
${csrfField(viewer)}<span>${viewer.operator.email} (${viewer.operator.role})</span>
<button type="submit">Sign out</button>
</form>
</nav>`;
}

export function csrfField(viewer: Viewer): Html {
  return html`<input type="hidden" name="_csrf" value="${viewer.csrf}">`;
}

/** A labelled input with the server's message for it, tied by aria-describedby. */
export function field(options: {
  label: string;
  name: string;
  value?: string | number | null | undefined;
  type?: string;
  error?: string | undefined;
  required?: boolean;
  hint?: string;
  autocomplete?: string;
}): Html {
  const id = `field-${options.name}`;
  const described = [options.hint && `${id}-hint`, options.error && `${id}-error`].filter(Boolean).join(' ');
  return html`<div class="field">
<label for="${id}">${options.label}</label>
<input id="${id}" name="${options.name}" type="${options.type ?? 'text'}" value="${options.value ?? ''}"${
    options.required ? html` required` : ''
  }${options.autocomplete ? html` autocomplete="${options.autocomplete}"` : ''}${
    described ? html` aria-describedby="${described}"` : ''
  }${options.error ? html` aria-invalid="true"` : ''}>
${options.hint && html`<p class="hint" id="${id}-hint">${options.hint}</p>`}
${options.error && html`<p class="error" id="${id}-error" role="alert">${options.error}</p>`}
</div>`;
}

/** A one-button form that posts (with the CSRF token): rendered only for operators who may write. */
export function postButton(viewer: Viewer, action: string, label: string, className = ''): Html {
  if (!viewer.canWrite) return html``;
  return html`<form method="post" action="${action}" class="inline">${csrfField(viewer)}<button type="submit" class="${className}">${label}</button></form>`;
}

export function notice(message: string | undefined, kind: 'error' | 'ok' = 'ok'): Html {
  if (!message) return html``;
  return html`<p class="notice ${kind}" role="${kind === 'error' ? 'alert' : 'status'}">${message}</p>`;
}

export function time(ms: number | null | undefined): Html {
  if (ms === null || ms === undefined) return html`—`;
  const iso = new Date(ms).toISOString();
  return html`<time datetime="${iso}">${iso.replace('T', ' ').slice(0, 19)} UTC</time>`;
}
