/**
 * Structured logging: one JSON line per event, filtered by level.
 *
 * The wall clock and the output are injected so `core/` stays free of them; `server/` wires the real ones.
 * Phone numbers never reach the output whole: any `+` followed by digits in a string field (a caller's
 * `From`, a number quoted in an error message) keeps its last 4 digits only ({@linkcode maskPhoneNumbers}).
 *
 * @example
 * ```ts
 * const log = createLogger({ level: "info", now: () => new Date(), write: console.log });
 * log.info("session_started", { session_id: "CA123" });
 * // {"ts":"2026-…","level":"info","event":"session_started","session_id":"CA123"}
 * ```
 *
 * @module
 */

/** Log levels, most verbose first. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Fields attached to a log event. */
export type LogFields = Record<string, unknown>;

/** A structured logger. `event` is a stable snake_case name; details go in `fields`. */
export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  /** Whether events of this level are written (skip building costly fields otherwise). */
  enabled(level: LogLevel): boolean;
}

/** Options for {@linkcode createLogger}. */
export interface LoggerOptions {
  level: LogLevel;
  now: () => Date;
  write: (line: string) => void;
}

/** Creates a logger writing one JSON object per line. */
export function createLogger(options: LoggerOptions): Logger {
  const threshold = LOG_LEVELS.indexOf(options.level);
  const enabled = (level: LogLevel) => LOG_LEVELS.indexOf(level) >= threshold;
  const emit = (level: LogLevel) => (event: string, fields?: LogFields) => {
    if (!enabled(level)) return;
    options.write(
      JSON.stringify({ ts: options.now().toISOString(), level, event, ...fields }, errorReplacer),
    );
  };
  return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error"), enabled };
}

/** A logger that drops everything, for tests that do not look at logs. */
export const silentLogger: Logger = createLogger({ level: "error", now: () => new Date(0), write: () => {} });

/** A `+` and 5 or more digits: E.164 numbers, also inside SIP URIs (`sip:+1555…@…`) and error messages. */
const PHONE_NUMBER = /\+(\d+)(\d{4})(?!\d)/g;

/** `text` with every phone number in it cut to its last 4 digits: `+15551234567` → `+*******4567`. */
export function maskPhoneNumbers(text: string): string {
  return text.includes("+")
    ? text.replace(
      PHONE_NUMBER,
      (_match, hidden: string, last: string) => `+${"*".repeat(hidden.length)}${last}`,
    )
    : text;
}

function errorReplacer(_key: string, value: unknown): unknown {
  // JSON.stringify hands the replacer every nested value too, an error's message included.
  if (typeof value === "string") return maskPhoneNumbers(value);
  return value instanceof Error ? { name: value.name, message: value.message } : value;
}
