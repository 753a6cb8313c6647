/** The two classes of access token in the Lean Authentication API. */
export const TOKEN_CLASSES = ['api', 'customer'] as const;
export type TokenClass = (typeof TOKEN_CLASSES)[number];

/** How the classes are written on a command line. */
export const DEFAULT_TOKEN_CLASSES_TEXT = TOKEN_CLASSES.join(',');
