/** Whether an application or a customer may obtain tokens. */
export const STATUSES = ['active', 'disabled'] as const;
export type Status = (typeof STATUSES)[number];
