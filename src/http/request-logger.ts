import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify';
import type { Bindings, ChildLoggerOptions } from 'pino';

/** pino's level names by value, to decide without pino whether a line would be written. */
export const LEVEL_VALUES: Record<string, number> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Number.POSITIVE_INFINITY,
};

type LevelName = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * A request's logger (request.log, reply.log) whose pino child, with the request id, is made only
 * when the request logs something at an enabled level. Fastify makes a child for every request, and
 * pino's child costs about 1 µs (its bindings serialized), which most token requests never use:
 * above LOG_LEVEL=info nothing is logged for a request that goes well (issue #5). Every line that is
 * logged goes through the real child, so it carries the request id as before.
 */
class RequestLogger implements FastifyBaseLogger {
  // Private fields: a request logged as a whole (`{ req: request }`) shows none of them.
  readonly #parent: FastifyBaseLogger;
  readonly #bindings: Bindings;
  readonly #options: ChildLoggerOptions;
  #child: FastifyBaseLogger | undefined;

  constructor(parent: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#options = options;
  }

  /** The pino child, made on first use. */
  get #logger(): FastifyBaseLogger {
    this.#child ??= this.#parent.child(this.#bindings, this.#options);
    return this.#child;
  }

  get level(): string {
    return this.#child?.level ?? this.#options.level ?? this.#parent.level;
  }

  set level(level: string) {
    this.#logger.level = level;
  }

  // Methods on the prototype: nothing allocated per request but the logger itself.
  fatal(...args: unknown[]): void {
    this.#log('fatal', args);
  }
  error(...args: unknown[]): void {
    this.#log('error', args);
  }
  warn(...args: unknown[]): void {
    this.#log('warn', args);
  }
  info(...args: unknown[]): void {
    this.#log('info', args);
  }
  debug(...args: unknown[]): void {
    this.#log('debug', args);
  }
  trace(...args: unknown[]): void {
    this.#log('trace', args);
  }
  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#logger.child(bindings, options);
  }

  #log(level: LevelName, args: unknown[]): void {
    // A level that is off would make a child only for pino to drop the line; an unknown level name
    // (custom levels) is left to pino.
    const enabled = LEVEL_VALUES[this.level];
    if (enabled !== undefined && (LEVEL_VALUES[level] ?? 0) < enabled) return;
    const logger = this.#logger;
    Reflect.apply(logger[level], logger, args);
  }
}

/**
 * Fastify's `childLoggerFactory`: request loggers that make their pino child lazily (RequestLogger).
 */
export const lazyChildLoggerFactory: NonNullable<FastifyServerOptions['childLoggerFactory']> = (
  logger,
  bindings,
  options,
) => new RequestLogger(logger, bindings, options);
