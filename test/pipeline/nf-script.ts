/**
 * Module script and stub blocks as command lines, from the templates the checker extracts: every
 * combination of the strings a block's locals can take (both arms of each ternary) and of the values the
 * pipeline passes to its `val` inputs, rendered and split into words as a shell would.
 */
import type { NfCall, NfCommandBlock, NfLiteral, NfProcess, NfSlot, NfTemplate } from './nf-check.js';

/** What a slot renders to when nothing more specific is known. */
export interface SlotContext {
  /** task.X → value (task.cpus in particular). */
  task: (name: string) => string;
  /** params.X → value. */
  param: (name: string) => string;
  /** Values of a `val` input that the pipeline does not pass as a literal (it comes from a channel). */
  channelValue: (input: string) => string;
}

/** One rendering of a block: the choice made for each local with alternatives and each `val` input. */
export interface Rendering {
  text: string;
  choices: Record<string, string>;
}

const MAX_RENDERINGS = 4096;

function scalar(v: NfLiteral): string | undefined {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

/**
 * Every rendering of a block's command(s): locals with alternatives and `val` inputs with several values
 * (literals at the calls of this process, or a channel value) are enumerated jointly, so each name takes
 * one value within a rendering.
 */
export function renderBlock(
  block: NfCommandBlock,
  proc: NfProcess,
  calls: NfCall[],
  ctx: SlotContext,
): Rendering[] {
  const locals = new Map(block.locals.map((l) => [l.name, l]));
  const inputs = new Map<string, { qualifier: string; index: number }>();
  proc.inputs.forEach((d, index) => d.names.forEach((n) => inputs.set(n, { qualifier: d.qualifier, index })));

  const valOptions = new Map<string, string[]>();
  for (const [name, { qualifier, index }] of inputs) {
    if (qualifier !== 'val') continue;
    const opts = new Set<string>();
    for (const c of calls) {
      const a = c.args[index];
      const v = a && 'value' in a ? scalar(a.value) : undefined;
      opts.add(v ?? ctx.channelValue(name));
    }
    valOptions.set(name, opts.size > 0 ? [...opts] : [ctx.channelValue(name)]);
  }

  const choiceNames = [
    ...[...locals.values()].filter((l) => (l.alternatives?.length ?? 0) > 1).map((l) => l.name),
    ...[...valOptions.entries()].filter(([, o]) => o.length > 1).map(([n]) => n),
  ];
  const sizes = choiceNames.map((n) => (valOptions.get(n) ?? locals.get(n)!.alternatives!).length);

  const render = (t: NfTemplate, pick: Map<string, number>, depth = 0): string =>
    t.parts.map((p) => ('text' in p ? p.text : slotValue(p as NfSlot, pick, depth))).join('');

  const slotValue = (s: NfSlot, pick: Map<string, number>, depth: number): string => {
    if (s.task !== undefined) return ctx.task(s.task);
    if (s.params !== undefined) return ctx.param(s.params);
    const root = s.root;
    if (root === undefined) return s.expr;
    const local = locals.get(root);
    if (local) {
      if (!local.alternatives || depth > 8) return root;
      return render(local.alternatives[pick.get(root) ?? 0], pick, depth + 1);
    }
    const opts = valOptions.get(root);
    if (opts) return opts[pick.get(root) ?? 0];
    // a path input (or anything derived from it, e.g. `${x.simpleName}`): its name stands for the file
    return root;
  };

  const out: Rendering[] = [];
  const total = sizes.reduce((a, b) => a * b, 1);
  for (let k = 0; k < Math.min(total, MAX_RENDERINGS); k++) {
    const pick = new Map<string, number>();
    let rest = k;
    choiceNames.forEach((n, i) => {
      pick.set(n, rest % sizes[i]);
      rest = Math.floor(rest / sizes[i]);
    });
    const choices: Record<string, string> = {};
    for (const n of choiceNames) {
      const v = valOptions.get(n);
      choices[n] = v ? v[pick.get(n)!] : locals.get(n)!.alternatives![pick.get(n)!].text;
    }
    for (const cmd of block.commands) out.push({ text: render(cmd, pick), choices });
  }
  return out;
}

/**
 * Splits shell text into simple commands (separated by newlines, `;`, `&&`, `||`, `|`) of words, with
 * quotes, backslash escapes, line continuations and comments handled as bash does; redirections are
 * words of their own (`>`, `>>`, `<`).
 */
export function shellCommands(text: string): string[][] {
  const commands: string[][] = [];
  let cmd: string[] = [];
  let word: string | null = null;
  const endWord = () => {
    if (word !== null) cmd.push(word);
    word = null;
  };
  const endCommand = () => {
    endWord();
    if (cmd.length > 0) commands.push(cmd);
    cmd = [];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') {
      if (text[i + 1] === '\n') i++;
      else word = (word ?? '') + (text[++i] ?? '');
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      word = (word ?? '') + text.slice(i + 1, end < 0 ? text.length : end);
      i = end < 0 ? text.length : end;
    } else if (c === '"') {
      let s = '';
      for (i++; i < text.length && text[i] !== '"'; i++) {
        if (text[i] === '\\' && '"\\$`'.includes(text[i + 1])) i++;
        s += text[i];
      }
      word = (word ?? '') + s;
    } else if (c === ' ' || c === '\t') {
      endWord();
    } else if (c === '\n' || c === ';') {
      endCommand();
    } else if ((c === '&' || c === '|') && text[i + 1] === c) {
      endCommand();
      i++;
    } else if (c === '|') {
      endCommand();
    } else if (c === '>' || c === '<') {
      endWord();
      const op = c === '>' && text[i + 1] === '>' ? '>>' : c;
      i += op.length - 1;
      cmd.push(op);
    } else if (c === '#' && word === null) {
      while (i + 1 < text.length && text[i + 1] !== '\n') i++;
    } else {
      word = (word ?? '') + c;
    }
  }
  endCommand();
  return commands;
}

/** Paths a stub command list creates: `touch`/`mkdir` operands, `cp`/`mv`/`ln` targets, redirections. */
export function createdPaths(commands: string[][]): string[] {
  const out: string[] = [];
  for (const cmd of commands) {
    const words: string[] = [];
    for (let i = 0; i < cmd.length; i++) {
      if (cmd[i] === '>' || cmd[i] === '>>') {
        if (cmd[i + 1] !== undefined) out.push(cmd[++i]);
      } else if (cmd[i] === '<') {
        i++;
      } else {
        words.push(cmd[i]);
      }
    }
    const operands = words.slice(1).filter((w) => !w.startsWith('-'));
    if (words[0] === 'touch' || words[0] === 'mkdir') out.push(...operands);
    else if (['cp', 'mv', 'ln'].includes(words[0]) && operands.length > 0)
      out.push(operands[operands.length - 1]);
  }
  return out;
}

/** A Nextflow output path pattern (glob: `*`, `**`, `?`, `{a,b}`) as a regular expression; `wildcard` marks slots. */
export function outputPatternRegExp(pattern: string, wildcard: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === wildcard) re += '.*';
    else if (c === '*' && pattern[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '{') re += '(?:';
    else if (c === '}') re += ')';
    else if (c === ',' && re.lastIndexOf('(?:') > re.lastIndexOf(')')) re += '|';
    else re += c.replace(/[.+^$()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}
