import type { Operator, OperatorPatch } from './operator.js';

/** Where operators are kept: the domain's interface, implemented in store/operator-store.ts. */
export interface OperatorStore {
  /** Throws StoreConflictError when an operator with this email exists. */
  insertOperator(operator: Operator): Promise<void>;
  findOperator(id: string): Promise<Operator | undefined>;
  findOperatorByEmail(email: string): Promise<Operator | undefined>;
  /** Every operator, by email. */
  listOperators(): Promise<Operator[]>;
  /** Applies the patch and returns the new record, or undefined for an unknown id. */
  updateOperator(id: string, patch: OperatorPatch, updatedAt: number): Promise<Operator | undefined>;
}
