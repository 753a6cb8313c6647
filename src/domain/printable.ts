/** A JSON-schema pattern for text without control characters (what isControl refuses). */
export const NO_CONTROL_CHARACTERS_PATTERN = '^[^\\u0000-\\u001f\\u007f]*$';

/** A C0 control character or DEL: PostgreSQL refuses NUL, a terminal obeys escapes. */
function isControl(code: number): boolean {
  return code < 0x20 || code === 0x7f;
}

/**
 * `text` safe to keep and to show: control characters replaced by '?' (PostgreSQL refuses NUL, a
 * terminal obeys escapes), and cut to `max` characters, so that no caller decides how much we keep.
 */
export function printable(text: string, max: number): string {
  const cut = text.length > max ? text.slice(0, max) : text;
  for (let i = 0; i < cut.length; i++) {
    if (isControl(cut.charCodeAt(i)))
      return [...cut].map((c) => (isControl(c.charCodeAt(0)) ? '?' : c)).join('');
  }
  return cut;
}

/**
 * Text an operator typed, as it can be stored and shown back unchanged: no control characters
 * (PostgreSQL cannot store NUL; none belongs in a name) and no lone UTF-16 surrogate (JSON can
 * carry one, but it is no Unicode text, and UTF-8 storage would turn it into something else).
 */
export function isPlainText(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    if (isControl(text.charCodeAt(i))) return false;
  }
  return !LONE_SURROGATE.test(text);
}

/** In a u-mode pattern a surrogate pair is one code point, so only a lone surrogate matches. */
const LONE_SURROGATE = /\p{Surrogate}/u;
