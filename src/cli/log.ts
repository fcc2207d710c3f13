/** Stage logging to stderr: plain lines or JSON lines (`--log-format json`), progress bars only on a TTY. */
import cliProgress from 'cli-progress';

export type LogFormat = 'text' | 'json';

export interface LoggerOptions {
  stage: string;
  format: LogFormat;
  quiet: boolean;
}

export interface Progress {
  tick(done: number): void;
  finish(): void;
}

export class Logger {
  constructor(private readonly o: LoggerOptions) {}

  private emit(level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void {
    if (this.o.quiet && level === 'info') return;
    if (this.o.format === 'json') {
      process.stderr.write(
        JSON.stringify({ time: new Date().toISOString(), level, stage: this.o.stage, msg, ...fields }) + '\n',
      );
    } else {
      const prefix = level === 'info' ? '' : `${level}: `;
      process.stderr.write(`[qtlflow ${this.o.stage}] ${prefix}${msg}\n`);
    }
  }

  info(msg: string, fields?: Record<string, unknown>): void {
    this.emit('info', msg, fields);
  }
  warn(msg: string, fields?: Record<string, unknown>): void {
    this.emit('warn', msg, fields);
  }
  error(msg: string, fields?: Record<string, unknown>): void {
    this.emit('error', msg, fields);
  }

  /** A progress bar on an interactive terminal; otherwise a log line every 10%. */
  progress(label: string, total: number): Progress {
    if (this.o.quiet || total <= 0) return { tick: () => undefined, finish: () => undefined };
    if (process.stderr.isTTY && this.o.format === 'text') {
      const bar = new cliProgress.SingleBar(
        {
          format: `[qtlflow ${this.o.stage}] ${label} {bar} {value}/{total} ({percentage}%) eta {eta_formatted}`,
          stream: process.stderr,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0);
      return { tick: (d) => bar.update(d), finish: () => bar.stop() };
    }
    let next = 0.1;
    return {
      tick: (d) => {
        if (d / total >= next) {
          this.info(`${label}: ${d}/${total}`, { progress: d / total });
          while (d / total >= next) next += 0.1;
        }
      },
      finish: () => undefined,
    };
  }
}
