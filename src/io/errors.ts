/**
 * Errors are values with context (file, line, column, sample): a stage throws one, the CLI layer
 * reports it once and exits with code 2 (bad input or usage). Anything else is an internal error (exit 1).
 */
export interface InputErrorContext {
  /** The file the problem is in. */
  file?: string;
  /** 1-based line number in a text file (header = line 1), or row number for tables. */
  line?: number;
  /** Column name (or 1-based index when unnamed). */
  column?: string | number;
  /** Sample ID the problem concerns. */
  sample?: string;
  /** What was expected there. */
  expected?: string;
  /** How to fix it. */
  hint?: string;
}

export class InputError extends Error {
  readonly context: InputErrorContext;

  constructor(message: string, context: InputErrorContext = {}) {
    super(message);
    this.name = 'InputError';
    this.context = context;
  }

  /** One human-readable line: `file:line: column X: message (expected …). Hint: …`. */
  describe(): string {
    const c = this.context;
    let where = '';
    if (c.file) where += c.file;
    if (c.line !== undefined) where += `${where ? ':' : 'line '}${c.line}`;
    const parts: string[] = [];
    if (c.column !== undefined)
      parts.push(`column ${typeof c.column === 'number' ? c.column : `'${c.column}'`}`);
    if (c.sample !== undefined) parts.push(`sample '${c.sample}'`);
    let text = where ? `${where}: ` : '';
    if (parts.length) text += `${parts.join(', ')}: `;
    text += this.message;
    if (c.expected) text += ` (expected ${c.expected})`;
    if (c.hint) text += `. ${c.hint}`;
    return text;
  }
}

/** Usage errors (bad flag combinations) are input errors without a file. */
export function usageError(message: string, hint?: string): InputError {
  return new InputError(message, hint ? { hint } : {});
}
