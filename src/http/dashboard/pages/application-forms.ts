import type { Application } from '../../../domain/application.js';
import type { ApplicationSettings } from '../../../domain/applications.js';
import { TOKEN_CLASSES } from '../../../domain/token-class.js';
import { type Html, html } from '../html.js';
import { csrfField, field, page, type Viewer } from '../layout.js';
import {
  type ClientAuthForm,
  clientAuthFields,
  clientAuthFormFrom,
  clientAuthFormOf,
  clientAuthSettingsOf,
} from './client-auth-fields.js';
import { seconds } from './form-errors.js';

/** The settings form's fields as shown: an application's, or what was posted, as typed. */
export interface SettingsForm {
  readonly name: string;
  readonly tokenClasses: readonly string[];
  readonly apiTokenTtl: string;
  readonly customerTokenTtl: string;
  readonly resourceServer: boolean;
  readonly auth: ClientAuthForm;
}

/** What an application has, in the form. */
export function settingsFormOf(a: Partial<Application>): SettingsForm {
  return {
    name: a.name ?? '',
    tokenClasses: a.tokenClasses ?? TOKEN_CLASSES,
    apiTokenTtl: a.apiTokenTtl?.toString() ?? '',
    customerTokenTtl: a.customerTokenTtl?.toString() ?? '',
    resourceServer: a.resourceServer ?? false,
    auth: clientAuthFormOf(a),
  };
}

/** The form as posted, to read or to show again beside its errors. */
export function settingsFormFrom(form: URLSearchParams): SettingsForm {
  return {
    name: form.get('name') ?? '',
    tokenClasses: form.getAll('token_classes'),
    apiTokenTtl: form.get('api_token_ttl') ?? '',
    customerTokenTtl: form.get('customer_token_ttl') ?? '',
    resourceServer: form.get('resource_server') === 'on',
    auth: clientAuthFormFrom(form),
  };
}

/** The settings the form asks for: the whole of them, for create and edit alike. */
export function settingsOf(form: SettingsForm): ApplicationSettings & { name: string } {
  return {
    name: form.name,
    tokenClasses: form.tokenClasses,
    apiTokenTtl: seconds(form.apiTokenTtl),
    customerTokenTtl: seconds(form.customerTokenTtl),
    resourceServer: form.resourceServer,
    ...clientAuthSettingsOf(form.auth),
  };
}

export function settingsFields(form: SettingsForm, errors: Record<string, string>): Html {
  return html`${field({ label: 'Name', name: 'name', value: form.name, required: true, error: errors.name })}
<fieldset${errors.token_classes ? html` aria-describedby="token-classes-error"` : ''}>
<legend>Token classes</legend>
${TOKEN_CLASSES.map(
  (c) =>
    html`<label class="check"><input type="checkbox" name="token_classes" value="${c}"${form.tokenClasses.includes(c) ? html` checked` : ''}> ${c}</label>`,
)}
${errors.token_classes && html`<p class="error" id="token-classes-error" role="alert">${errors.token_classes}</p>`}
</fieldset>
${field({ label: 'API token lifetime (seconds)', name: 'api_token_ttl', type: 'number', value: form.apiTokenTtl, hint: 'Empty: the server default.', error: errors.api_token_ttl })}
${field({ label: 'Customer token lifetime (seconds)', name: 'customer_token_ttl', type: 'number', value: form.customerTokenTtl, hint: 'Empty: the server default.', error: errors.customer_token_ttl })}
<label class="check"><input type="checkbox" name="resource_server"${form.resourceServer ? html` checked` : ''}> Resource server (may introspect every application’s tokens)</label>
${clientAuthFields(form.auth, errors)}`;
}

export function newForm(viewer: Viewer, form: SettingsForm, errors: Record<string, string> = {}): string {
  return page(
    'New application',
    html`<form method="post" action="/dashboard/applications" class="card">${csrfField(viewer)}
${settingsFields(form, errors)}
<button type="submit">Create</button>
</form>`,
    viewer,
    'Applications',
  );
}
