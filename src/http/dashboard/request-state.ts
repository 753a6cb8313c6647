import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Operator } from '../../domain/operators/operator.js';
import type { Viewer } from './layout.js';
import type { Session } from './session.js';

export interface SignedIn {
  readonly session: Session;
  readonly operator: Operator;
}

const signedIn = new WeakMap<FastifyRequest, SignedIn>();

export function setSignedIn(request: FastifyRequest, state: SignedIn): void {
  signedIn.set(request, state);
}

export function signedInOf(request: FastifyRequest): SignedIn | undefined {
  return signedIn.get(request);
}

/** The operator of a page behind sign-in (the onRequest hook guarantees one). */
export function viewerOf(request: FastifyRequest): Viewer {
  const state = signedIn.get(request);
  if (!state) throw new Error('dashboard page reached without a session');
  return { operator: state.operator, csrf: state.session.csrf, canWrite: state.operator.role === 'admin' };
}

/** The form fields of a POST (the dashboard's parser makes URLSearchParams of every form body). */
export function formOf(request: FastifyRequest): URLSearchParams {
  return request.body instanceof URLSearchParams ? request.body : new URLSearchParams();
}

export function sendPage(reply: FastifyReply, markup: string, status = 200): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(markup);
}
