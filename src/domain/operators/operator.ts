/** What an operator may do in the dashboard: `admin` everything, `viewer` read only. */
export const OPERATOR_ROLES = ['admin', 'viewer'] as const;
export type OperatorRole = (typeof OPERATOR_ROLES)[number];

/** A person who signs in to the dashboard to issue and manage credentials. */
export interface Operator {
  readonly id: string;
  /** Lower-case; unique. Named as the actor of every change the operator makes. */
  readonly email: string;
  readonly role: OperatorRole;
  readonly status: 'active' | 'disabled';
  /** `scrypt$N$r$p$salt$hash` (passwords.ts); never the password. */
  readonly passwordHash: string;
  /** The TOTP secret sealed with the key encryption key; null until the operator turns TOTP on. */
  readonly totpSecret: string | null;
  /** Raised by sign-out, password reset and disabling: a session that carries a lower one has ended. */
  readonly sessionGeneration: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export type OperatorPatch = Partial<
  Pick<Operator, 'role' | 'status' | 'passwordHash' | 'totpSecret' | 'sessionGeneration'>
>;
