/** Bounds that configuration and the domain's rules share (config is below every layer). */

/** The LinkSDK refuses a customer token with less than ten minutes of validity left. */
export const MIN_CUSTOMER_TOKEN_LIFETIME = 600;
/** Shorter api tokens would expire before a slow backend call finishes. */
export const MIN_API_TOKEN_LIFETIME = 60;
/** A day: bounds how long a retired signing key must stay published. */
export const MAX_TOKEN_LIFETIME = 86_400;
/** The longest grace period a rotated-out client secret may be given: a week (SECRET_ROTATION_GRACE). */
export const MAX_SECRET_GRACE_SECONDS = 7 * 86_400;
