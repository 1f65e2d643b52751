import { z } from 'zod';

/**
 * Text a person or an agent wrote: no NUL or other control characters but tab and line breaks,
 * and no unpaired UTF-16 surrogates (JSON can carry one, UTF-8 cannot store it: it would come
 * back as U+FFFD, a silent change of what was sent).
 */
export function isCleanText(s: string): boolean {
  // eslint-disable-next-line no-control-regex
  return !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(s) && isWellFormed(s);
}

/** String.prototype.isWellFormed (ES2024): no lone surrogate. */
const isWellFormed = (s: string): boolean => (s as string & { isWellFormed(): boolean }).isWellFormed();

export const CLEAN_TEXT_MESSAGE = 'must not contain NUL or other control characters, nor unpaired UTF-16 surrogates';

/** A string of at most `max` characters that passes isCleanText. */
export const Text = (max: number, min = 0) => z.string().min(min).max(max).refine(isCleanText, CLEAN_TEXT_MESSAGE);

/** A free-text description. */
export const Description = Text(1000);

/** The same text made clean: control characters become spaces, lone surrogates U+FFFD (for what an agent forwards). */
export function cleanText(s: string): string {
  // eslint-disable-next-line no-control-regex
  const noControls = s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, ' ');
  return (noControls as string & { toWellFormed(): string }).toWellFormed();
}

/** A name people give a resource: a DNS label. */
export const ResourceName = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'lower-case letters, digits and dashes (1-63 chars, DNS label)');
