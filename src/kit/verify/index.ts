// lean-auth/verify: what a resource server needs to accept lean-auth's access tokens.
export { verifyCertificateBinding } from './certificate-binding.js';
export type { AccessTokenClaims, ScopeRequirement } from './claims.js';
export {
  DPOP_ALGORITHMS,
  type DpopOptions,
  type TokenPresentation,
} from './dpop-binding.js';
export type { BearerErrorCode } from './errors.js';
export { BearerTokenError, MissingTokenError } from './errors.js';
export { type ExpressLikeRequest, type ExpressLikeResponse, requireAccessToken } from './express.js';
export { leanAuthFastify } from './fastify.js';
export type { GuardOptions, Refusal, RequestTarget } from './guard.js';
export type { IntrospectionOptions } from './introspection.js';
export { type ProofReplayStore, ProofReplays } from './proof-replays.js';
export type { RemoteKeySetOptions } from './remote-key-set.js';
export {
  ACCESS_TOKEN_ALGORITHMS,
  type AccessTokenVerifier,
  createAccessTokenVerifier,
  type VerifierOptions,
} from './verifier.js';
export { type VerifyOptions, verifyAccessToken } from './verify-access-token.js';
