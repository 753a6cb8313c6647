import { invalidRequest } from './errors.js';
import type { OAuthRequest } from './ports.js';

const FORM_TYPE = 'application/x-www-form-urlencoded';
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Request parameters by name; RFC 6749 §3.1: a parameter sent twice is an error, so one value each. */
export type FormParameters = ReadonlyMap<string, string>;

/**
 * Parses an `application/x-www-form-urlencoded` body strictly: UTF-8 only, valid percent-encoding
 * only, no repeated parameter, and empty values treated as absent (RFC 6749 §3.1).
 */
export function parseFormBody(contentType: string | undefined, body: Buffer | undefined): FormParameters {
  requireFormContentType(contentType);
  const text = decodeUtf8(body ?? Buffer.alloc(0), 'the request body is not valid UTF-8');
  return parseFormText(text, 'request body');
}

/** Parses the query or body text of a form; `where` names it in errors. */
export function parseFormText(text: string, where: string): FormParameters {
  const parameters = new Map<string, string>();
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const separator = pair.indexOf('=');
    const name = decodeComponent(separator === -1 ? pair : pair.slice(0, separator), where);
    const value = separator === -1 ? '' : decodeComponent(pair.slice(separator + 1), where);
    if (parameters.has(name)) throw invalidRequest(`parameter '${name.slice(0, 64)}' is sent more than once`);
    parameters.set(name, value);
  }
  for (const [name, value] of parameters) if (value === '') parameters.delete(name);
  return parameters;
}

function requireFormContentType(contentType: string | undefined): void {
  // What nearly every client sends, and what the checks below would accept.
  if (contentType === FORM_TYPE) return;
  if (contentType === undefined) {
    throw invalidRequest(`the request has no Content-Type; send the parameters as ${FORM_TYPE}`);
  }
  const [mediaType = '', ...params] = contentType.split(';').map((part) => part.trim());
  if (mediaType.toLowerCase() !== FORM_TYPE) {
    throw invalidRequest(`Content-Type must be ${FORM_TYPE}, got '${mediaType.slice(0, 100)}'`);
  }
  for (const param of params) {
    const [key = '', value = ''] = param.split('=').map((s) => s.trim().replace(/^"|"$/g, ''));
    if (key.toLowerCase() === 'charset' && value.toLowerCase() !== 'utf-8') {
      throw invalidRequest(`charset must be UTF-8, got '${value.slice(0, 40)}'`);
    }
  }
}

function decodeUtf8(bytes: Buffer, message: string): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw invalidRequest(message);
  }
}

function decodeComponent(raw: string, where: string): string {
  const value = decodeFormComponent(raw);
  if (value === undefined) {
    throw invalidRequest(
      `the ${where} has an invalid percent-encoding or a percent-encoded byte that is not UTF-8`,
    );
  }
  return value;
}

/**
 * One form-urlencoded component decoded ('+' is a space), or undefined when a percent-escape is
 * invalid or does not decode to UTF-8 (decodeURIComponent rejects both).
 */
export function decodeFormComponent(raw: string): string | undefined {
  const spaced = raw.includes('+') ? raw.replaceAll('+', ' ') : raw;
  // Without '%' there is nothing left to decode: the common case, and the cheap one.
  if (!spaced.includes('%')) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    return undefined;
  }
}

/** RFC 6749 §2.3.1: credentials must not travel in the URL, where logs and proxies keep them. */
function rejectParametersInUrl(query: string): void {
  if (query !== '') throw invalidRequest('parameters must be sent in the request body, not in the URL');
}

/** The form parameters of an OAuth request, checked for shape before anything else. */
export function readForm(request: Pick<OAuthRequest, 'query' | 'contentType' | 'body'>): FormParameters {
  rejectParametersInUrl(request.query);
  return parseFormBody(request.contentType, request.body);
}

/** A parameter the endpoint cannot do without. */
export function requireParameter(parameters: FormParameters, name: string): string {
  const value = parameters.get(name);
  if (value === undefined) throw invalidRequest(`${name} is missing`);
  return value;
}
