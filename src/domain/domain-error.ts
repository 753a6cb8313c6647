/** `unavailable`: the database is out of reach (or too long out of reach to trust the caches). */
export type DomainErrorCode = 'not_found' | 'invalid' | 'conflict' | 'unavailable';

/** A request to the domain that cannot be carried out; `message` is safe to show to the operator. */
export class DomainError extends Error {
  override name = 'DomainError';
  constructor(
    readonly code: DomainErrorCode,
    message: string,
  ) {
    super(message);
  }
}
