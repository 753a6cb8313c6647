import type { Application } from '../../../domain/application.js';
import { type Html, html } from '../html.js';

/** The client_id and a secret, shown this once, with copy buttons and a curl line per token class. */
export function secretShownOnce(
  a: Application,
  secret: string,
  tokenEndpoint: string,
  previousExpiresAt: number | null,
): Html {
  const credentials =
    a.tokenEndpointAuthMethod === 'client_secret_basic'
      ? `-u ${a.clientId}:${secret}`
      : `-d client_id=${a.clientId} -d client_secret=${secret}`;
  const curl = (scope: string) =>
    `curl -s ${tokenEndpoint} ${credentials} -d grant_type=client_credentials -d scope=${scope}`;
  const lines = a.tokenClasses.map((c) => (c === 'api' ? curl('api') : curl('customer.<customer_id>')));
  const bySecret =
    a.tokenEndpointAuthMethod === null || a.tokenEndpointAuthMethod.startsWith('client_secret');
  return html`<div class="card secret" role="region" aria-label="New credentials">
<p class="notice error">The secret is shown only this once: copy it now. Only its digest is stored.</p>
<dl class="facts">
<dt>client_id</dt><dd><code id="client-id">${a.clientId}</code> <button type="button" class="copy" data-copy="client-id">Copy client_id</button></dd>
<dt>client_secret</dt><dd><code id="client-secret">${secret}</code> <button type="button" class="copy" data-copy="client-secret">Copy secret</button></dd>
</dl>
${
  previousExpiresAt !== null
    ? html`<p>The previous secret keeps working until <time datetime="${new Date(previousExpiresAt).toISOString()}">${new Date(previousExpiresAt).toISOString()}</time>: <span data-countdown="${new Date(previousExpiresAt).toISOString()}" role="timer" aria-live="off"></span></p>`
    : ''
}
${
  bySecret
    ? html`<h2>Try it</h2>
${lines.map((line, i) => html`<pre id="curl-${i}"><code>${line}</code></pre><button type="button" class="copy" data-copy="curl-${i}">Copy curl line</button>`)}`
    : html`<p>This application authenticates with <code>${a.tokenEndpointAuthMethod}</code>: the token endpoint refuses the secret until its method returns to a client secret one.</p>`
}
</div>`;
}
