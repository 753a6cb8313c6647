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

function isControl(code: number): boolean {
  return code < 0x20 || code === 0x7f;
}
