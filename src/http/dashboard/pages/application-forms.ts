import type { Application } from '../../../domain/application.js';
import type { ApplicationSettings } from '../../../domain/applications.js';
import { TOKEN_CLASSES } from '../../../domain/token-class.js';
import { type Html, html } from '../html.js';
import { csrfField, field, page, type Viewer } from '../layout.js';
import { seconds } from './form-errors.js';

/** The application settings form (create and edit), and reading it back. */
export function settingsOf(form: URLSearchParams): ApplicationSettings & { name: string } {
  return {
    name: form.get('name') ?? '',
    tokenClasses: form.getAll('token_classes'),
    apiTokenTtl: seconds(form.get('api_token_ttl')),
    customerTokenTtl: seconds(form.get('customer_token_ttl')),
    resourceServer: form.get('resource_server') === 'on',
  };
}

export function settingsFields(a: Partial<Application>, errors: Record<string, string>): Html {
  const classes = a.tokenClasses ?? TOKEN_CLASSES;
  return html`${field({ label: 'Name', name: 'name', value: a.name, required: true, error: errors.name })}
<fieldset${errors.token_classes ? html` aria-describedby="token-classes-error"` : ''}>
<legend>Token classes</legend>
${TOKEN_CLASSES.map(
  (c) =>
    html`<label class="check"><input type="checkbox" name="token_classes" value="${c}"${classes.includes(c) ? html` checked` : ''}> ${c}</label>`,
)}
${errors.token_classes && html`<p class="error" id="token-classes-error" role="alert">${errors.token_classes}</p>`}
</fieldset>
${field({ label: 'API token lifetime (seconds)', name: 'api_token_ttl', type: 'number', value: a.apiTokenTtl, hint: 'Empty: the server default.', error: errors.api_token_ttl })}
${field({ label: 'Customer token lifetime (seconds)', name: 'customer_token_ttl', type: 'number', value: a.customerTokenTtl, hint: 'Empty: the server default.', error: errors.customer_token_ttl })}
<label class="check"><input type="checkbox" name="resource_server"${a.resourceServer ? html` checked` : ''}> Resource server (may introspect every application’s tokens)</label>`;
}

export function newForm(
  viewer: Viewer,
  values: Partial<Application>,
  errors: Record<string, string> = {},
): string {
  return page(
    'New application',
    html`<form method="post" action="/dashboard/applications" class="card">${csrfField(viewer)}
${settingsFields(values, errors)}
<button type="submit">Create</button>
</form>`,
    viewer,
    'Applications',
  );
}
