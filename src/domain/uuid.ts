/**
 * The ids lean-auth issues: lower-case UUIDs. The pattern as a string, for JSON schemas too; a
 * caller that takes upper case (an OAuth scope) lower-cases first.
 */
export const UUID_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';

const UUID = new RegExp(UUID_PATTERN);

/** Whether `value` is an id lean-auth could have issued; anything else cannot name a record. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
