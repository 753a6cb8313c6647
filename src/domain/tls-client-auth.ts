import { createPublicKey, type JsonWebKey, type KeyObject, X509Certificate } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import type { JWK } from 'jose';
import { DomainError } from './domain-error.js';
import { isPlainText } from './printable.js';

/**
 * RFC 8705 §2.1.2: how a tls_client_auth application names the certificate it authenticates with,
 * by exactly one of these (RFC 7591 metadata names): its subject DN or one subjectAltName entry.
 */
export const TLS_SUBJECT_FIELDS = [
  'tls_client_auth_subject_dn',
  'tls_client_auth_san_dns',
  'tls_client_auth_san_uri',
  'tls_client_auth_san_ip',
  'tls_client_auth_san_email',
] as const;
export type TlsSubjectField = (typeof TLS_SUBJECT_FIELDS)[number];

/** The one subject a tls_client_auth application's certificate must carry. */
export interface TlsSubject {
  readonly field: TlsSubjectField;
  readonly value: string;
}

const MAX_SUBJECT_LENGTH = 1000;

/** The subject as registered, refused with the field's name when it cannot name a certificate. */
export function validTlsSubject(subject: TlsSubject): TlsSubject {
  const { field, value } = subject;
  if (!TLS_SUBJECT_FIELDS.includes(field)) throw invalid(`unknown field ${field}`);
  if (value.length === 0 || value.length > MAX_SUBJECT_LENGTH || !isPlainText(value)) {
    throw invalid(`${field} must be 1 to ${MAX_SUBJECT_LENGTH} characters without control characters`);
  }
  const fits = {
    tls_client_auth_subject_dn: () => parseDistinguishedName(value) !== undefined,
    tls_client_auth_san_dns: () =>
      /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9-]+)*$/.test(value),
    tls_client_auth_san_uri: () => URL.canParse(value),
    tls_client_auth_san_ip: () => isIP(value) !== 0,
    tls_client_auth_san_email: () => /^[^@\s]+@[^@\s]+$/.test(value),
  }[field];
  if (!fits()) throw invalid(`${field} is not ${WHAT[field]}: '${value.slice(0, 80)}'`);
  return { field, value };
}

const WHAT: Record<TlsSubjectField, string> = {
  tls_client_auth_subject_dn: 'a distinguished name in RFC 4514 form, e.g. CN=client,O=Example,C=SA',
  tls_client_auth_san_dns: 'a DNS name',
  tls_client_auth_san_uri: 'an absolute URI',
  tls_client_auth_san_ip: 'an IPv4 or IPv6 address',
  tls_client_auth_san_email: 'an email address',
};

/**
 * Whether the certificate carries the registered subject: the subject DN compared as RFC 4514
 * attribute by attribute (type names case-insensitive, values exact), or one subjectAltName entry of
 * the registered kind (DNS names case-insensitive, IP addresses in any notation, URIs exact).
 */
export function certificateHasSubject(certificate: X509Certificate, subject: TlsSubject): boolean {
  if (subject.field === 'tls_client_auth_subject_dn') {
    const registered = parseDistinguishedName(subject.value);
    // Node lists the certificate's RDNs in encoding order; RFC 4514 writes them the other way round.
    const presented = certificateDistinguishedName(certificate);
    return registered !== undefined && presented !== undefined && sameNames(registered, presented);
  }
  const kind = SAN_PREFIX[subject.field];
  return subjectAltNames(certificate).some(([k, v]) => k === kind && sanMatches(subject, v));
}

const SAN_PREFIX: Record<Exclude<TlsSubjectField, 'tls_client_auth_subject_dn'>, string> = {
  tls_client_auth_san_dns: 'DNS',
  tls_client_auth_san_uri: 'URI',
  tls_client_auth_san_ip: 'IP Address',
  tls_client_auth_san_email: 'email',
};

function sanMatches({ field, value }: TlsSubject, presented: string): boolean {
  if (field === 'tls_client_auth_san_dns') return presented.toLowerCase() === value.toLowerCase();
  if (field === 'tls_client_auth_san_ip') {
    const family = isIP(value) === 4 ? 'ipv4' : 'ipv6';
    if (isIP(presented) !== isIP(value)) return false;
    const list = new BlockList();
    list.addAddress(value, family);
    return list.check(presented, family);
  }
  return presented === value;
}

/** Node's subjectAltName text: `DNS:a, IP Address:1.2.3.4`; a value with a comma is JSON-quoted. */
function subjectAltNames(certificate: X509Certificate): [string, string][] {
  const text = certificate.subjectAltName ?? '';
  const entries: [string, string][] = [];
  const pattern = /([^:,]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/gy;
  for (let match = pattern.exec(text); match !== null && match[0] !== ''; match = pattern.exec(text)) {
    const raw = match[2] ?? '';
    entries.push([(match[1] ?? '').trim(), raw.startsWith('"') ? (JSON.parse(raw) as string) : raw]);
  }
  return entries;
}

/** Each RDN as one canonical string: its attributes `TYPE=value`, sorted (a multi-valued RDN is a set). */
type Name = readonly string[];

/** `CN=a,O=b` (RFC 4514) in canonical form, escapes undone; undefined when it is not a DN. */
function parseDistinguishedName(dn: string): Name | undefined {
  const rdns = splitUnescaped(dn, ',').map(rdn);
  return rdns.every((r): r is string => r !== undefined) ? rdns : undefined;
}

/** One RDN: `CN=a` or `CN=a+UID=b` (Node writes the latter `CN=a + UID=b`). */
function rdn(text: string): string | undefined {
  const attributes: string[] = [];
  for (const part of splitUnescaped(text, '+')) {
    const eq = part.indexOf('=');
    const type = part.slice(0, eq).trim().toUpperCase();
    const value = unescapeValue(part.slice(eq + 1).trim());
    if (eq === -1 || type === '' || value === '') return undefined;
    attributes.push(`${type}=${value}`);
  }
  return attributes.sort().join('\0');
}

function splitUnescaped(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? '';
    if (c === '\\' && i + 1 < text.length) {
      current += c + text[i + 1];
      i++;
    } else if (c === separator) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}

/** RFC 4514 escapes undone: `\,` and the like, and `\C3\A9` as UTF-8 bytes. */
function unescapeValue(value: string): string {
  const encoded = value
    .replace(/%/g, '%25')
    .replace(/\\([0-9A-Fa-f]{2}|.)/g, (_, e: string) => (e.length === 2 ? `%${e}` : encodeURIComponent(e)));
  try {
    return decodeURIComponent(encoded);
  } catch {
    return value;
  }
}

/** The certificate's subject, most specific RDN first as RFC 4514 writes it (Node lists them the other way). */
function certificateDistinguishedName(certificate: X509Certificate): Name | undefined {
  const rdns = certificate.subject
    .split('\n')
    .filter((line) => line !== '')
    .map(rdn)
    .reverse();
  return rdns.length > 0 && rdns.every((r): r is string => r !== undefined) ? rdns : undefined;
}

function sameNames(a: Name, b: Name): boolean {
  return a.length === b.length && a.every((r, i) => b[i] === r);
}

/**
 * RFC 8705 §2.2.2: a self_signed_tls_client_auth key carries its certificate in `x5c`, and the
 * presented certificate must be that one; its public key must be the JWK's own.
 */
export function validCertificateKey(key: JWK, index: number): void {
  const der = key.x5c?.[0];
  if (typeof der !== 'string') {
    throw invalid(`jwks.keys[${index}] has no x5c: self_signed_tls_client_auth matches certificates in x5c`);
  }
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(Buffer.from(der, 'base64'));
  } catch {
    throw invalid(`jwks.keys[${index}].x5c[0] is not a base64 DER certificate`);
  }
  if (!certificate.publicKey.equals(importJwk(key))) {
    throw invalid(`jwks.keys[${index}]: the certificate in x5c is not for this key's public key`);
  }
}

function importJwk(key: JWK): KeyObject {
  const { x5c: _x5c, ...jwk } = key;
  return createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
}

const invalid = (message: string) => new DomainError('invalid', message);
