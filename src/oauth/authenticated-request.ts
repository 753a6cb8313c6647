import type { Client } from '../domain/client.js';
import { authenticateClient } from './authenticate-client.js';
import { readClientCredentials } from './client-credentials.js';
import { invalidRequest } from './errors.js';
import { type FormParameters, parseFormBody } from './form-body.js';
import type { OAuthContext, OAuthRequest } from './ports.js';

/** RFC 6749 §2.3.1: credentials must not travel in the URL, where logs and proxies keep them. */
function rejectParametersInUrl(query: string): void {
  if (query !== '') throw invalidRequest('parameters must be sent in the request body, not in the URL');
}

/** The form parameters of a request, checked for shape before anything else. */
export function readForm(request: OAuthRequest): FormParameters {
  rejectParametersInUrl(request.query);
  return parseFormBody(request.contentType, request.body);
}

/** The client that sent the request, authenticated by HTTP Basic or by the body. */
export function authenticateCaller(
  request: OAuthRequest,
  parameters: FormParameters,
  context: OAuthContext,
): Promise<Client> {
  return authenticateClient(
    readClientCredentials(parameters, request.authorization),
    request.sourceIp,
    context,
  );
}

/** A parameter the endpoint cannot do without. */
export function requireParameter(parameters: FormParameters, name: string): string {
  const value = parameters.get(name);
  if (value === undefined) throw invalidRequest(`${name} is missing`);
  return value;
}
