/**
 * Application configuration, read from environment variables and validated with zod.
 *
 * Every variable is listed in `.env.example` and in the README's configuration table. A wrong value stops
 * start-up with a {@linkcode ConfigError} that names the variable and says how to fix it.
 *
 * Coaching thresholds and analysis windows have their documented defaults in `core/coaching/config.ts`
 * and `core/audio/config.ts`; `COACH_SETTINGS` may override any of them with inline JSON.
 *
 * @example
 * ```ts
 * const config = loadConfig({ PORT: "0", LOG_LEVEL: "error" });
 * ```
 *
 * @module
 */
import { z } from "zod";
import { type AnalysisConfig, AnalysisConfigSchema } from "./audio/config.ts";
import { type CoachingConfig, CoachingConfigSchema } from "./coaching/config.ts";
import { LOG_LEVELS, type LogLevel } from "./log.ts";
import { E164 } from "./protocol/phone_number.ts";
import type { TrackName } from "./protocol/twilio_messages.ts";
import { type SessionConfig, SessionConfigSchema } from "./session/config.ts";

/** The validated configuration the server runs with. */
export interface AppConfig {
  port: number;
  /** Public base URL Twilio reaches (no trailing slash). Defaults to `http://127.0.0.1:PORT`. */
  publicUrl: string;
  /** True when `PUBLIC_URL` was given (the server is reachable from outside this machine). */
  publicUrlSet: boolean;
  twilio: { accountSid?: string; authToken?: string; phoneNumber?: string };
  agentPhoneNumber?: string;
  /** Default agent track for calls that Twilio sends to the voice webhook (customer dials in). */
  agentTrack: TrackName;
  /** Key for viewing the page from anywhere but this machine; generated at start when unset. */
  uiAccessKey?: string;
  logLevel: LogLevel;
  /** Redis that joins the instances of a cluster; unset, the server is one self-contained process. */
  redisUrl?: string;
  /** This instance's name in the cluster (registry, logs, `/health`); unset, the host name and process id. */
  instanceId?: string;
  analysis: AnalysisConfig;
  coaching: CoachingConfig;
  session: SessionConfig;
  /** The optional AI phrasing of tips; null (the default) without `COACH_LLM_BASE_URL`. */
  phrasing: PhrasingSettings | null;
}

/** Languages the AI phrasing can be asked for and its answers checked in (server/phrasing/answer.ts). */
export const PHRASING_LANGUAGES = ["en", "de", "fr", "es"] as const;
export type PhrasingLanguage = (typeof PHRASING_LANGUAGES)[number];

/** Settings of the optional AI phrasing of tips (server/phrasing). */
export interface PhrasingSettings {
  /** Any OpenAI-compatible endpoint, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:11434/v1`. */
  baseUrl: string;
  /** A secret: never logged, echoed in an error or shown. Optional for local servers. */
  apiKey?: string;
  model: string;
  /** Past this a tip is shown in the rules' words (capped so a tip reaches the page within 1.5 s). */
  timeoutMs: number;
  /** Model requests in flight per process; a tip over the cap is shown in the rules' words at once. */
  maxInFlight: number;
  /** The language the model writes in and its answers are checked in. */
  language: PhrasingLanguage;
}

/** A configuration problem, with the variable and the fix in the message. */
export class ConfigError extends Error {
  constructor(readonly variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = "ConfigError";
  }
}

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * One entry per variable: its schema and the fix to print when the value is wrong. A `secret` is never
 * printed, not even a refused one: its entry states the rule instead of quoting the value (or zod's
 * message, which may quote it).
 */
const VARIABLES = {
  PORT: {
    schema: z.coerce.number().int().min(0).max(65535).default(8000),
    fix: "set a TCP port number such as 8000 (0 picks a free port)",
  },
  PUBLIC_URL: {
    schema: z.url({ protocol: /^https?$/, abort: true }).optional().refine(
      (url) => url === undefined || url.startsWith("https:") || isLoopbackUrl(url),
      "must be https:// (Twilio only connects to secure URLs)",
    ).refine((url) => url === undefined || !URL.parse(url)?.search, "must not have a query string"),
    fix: "set the public https:// URL that reaches this server, e.g. https://abc.trycloudflare.com",
  },
  TWILIO_ACCOUNT_SID: {
    schema: z.string().regex(/^AC[0-9a-fA-F]{32}$/).optional(),
    fix: "copy the Account SID (AC followed by 32 hex digits) from the Twilio console, or leave it unset",
  },
  TWILIO_AUTH_TOKEN: {
    schema: z.string().min(8).optional(),
    secret: "must be at least 8 characters",
    fix: "copy the Auth Token from the Twilio console, or leave it unset to use a local simulator token",
  },
  TWILIO_PHONE_NUMBER: {
    schema: z.string().regex(E164).optional(),
    fix: "use E.164 format, e.g. +15551234567",
  },
  AGENT_PHONE_NUMBER: {
    schema: z.string().regex(E164).optional(),
    fix: "use E.164 format, e.g. +15557654321, or leave it unset to test with a lone caller",
  },
  AGENT_TRACK: {
    schema: z.enum(["outbound", "inbound"]).default("outbound"),
    fix: 'use "outbound" (customer calls in and is dialled to the agent) or "inbound"',
  },
  UI_ACCESS_KEY: {
    schema: z.string().min(16).optional(),
    secret: "must be at least 16 characters",
    fix: "use a random string of at least 16 characters, or leave it unset to get one printed at start",
  },
  LOG_LEVEL: {
    schema: z.enum(LOG_LEVELS).default("info"),
    fix: `use one of ${LOG_LEVELS.join(", ")}`,
  },
  REDIS_URL: {
    schema: z.url({ protocol: /^rediss?$/, abort: true }).optional(),
    fix: "use a Redis URL such as redis://127.0.0.1:6379 (rediss:// for TLS), or leave it unset to run one " +
      "self-contained process",
  },
  INSTANCE_ID: {
    schema: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).optional(),
    fix:
      "use 1 to 64 letters, digits, '.', '_' or '-', unique per instance, or leave it unset (host name and " +
      "process id)",
  },
  COACH_SETTINGS: {
    schema: z.string().optional(),
    fix: 'give JSON such as {"coaching":{…},"analysis":{…},"session":{…}} or leave it unset',
  },
  // The AI phrasing of tips. The base URL and the key are checked in phrasingSettings, whose messages never
  // quote them (a key pasted into the wrong variable must not end up in a log).
  COACH_LLM_BASE_URL: {
    schema: z.string().optional(),
    fix: "set an OpenAI-compatible endpoint such as https://api.openai.com/v1 or http://127.0.0.1:11434/v1 " +
      "(Ollama), or leave it unset to keep the fixed tips",
  },
  COACH_LLM_API_KEY: {
    // Any text may be a key, so none is refused; `secret` keeps it unprinted should a rule ever be added.
    schema: z.string().optional(),
    secret: "must be the endpoint's API key",
    fix: "set the endpoint's API key, or leave it unset for a local server that needs none",
  },
  COACH_LLM_MODEL: {
    schema: z.string().max(200).regex(/^[\w.:/@+-]+$/).optional(),
    fix: "set the model name the endpoint knows, e.g. gpt-4o-mini or llama3.2",
  },
  COACH_LLM_TIMEOUT_MS: {
    schema: z.coerce.number().int().min(100).max(1400).default(1000),
    fix: "use a number of milliseconds from 100 to 1400 (a tip must reach the page within 1.5 s of its rule)",
  },
  COACH_LLM_MAX_IN_FLIGHT: {
    schema: z.coerce.number().int().min(1).max(1000).default(16),
    fix: "use a whole number from 1 to 1000",
  },
  COACH_LANGUAGE: {
    schema: z.enum(PHRASING_LANGUAGES).default("en"),
    fix: `use one of ${PHRASING_LANGUAGES.join(", ")}`,
  },
} as const;

type VariableName = keyof typeof VARIABLES;

/** The names of every environment variable the server reads. */
export const CONFIG_VARIABLES = Object.keys(VARIABLES) as VariableName[];

/**
 * Reads and validates the configuration from an environment map (e.g. `Deno.env.toObject()`).
 *
 * Empty strings count as unset, so a copied `.env.example` with blank values works.
 *
 * @throws {ConfigError} naming the first wrong variable and the fix.
 */
export function loadConfig(env: Record<string, string | undefined>): AppConfig {
  const value = <K extends VariableName>(name: K): z.output<(typeof VARIABLES)[K]["schema"]> => {
    const raw = env[name]?.trim() || undefined;
    const result = VARIABLES[name].schema.safeParse(raw);
    if (!result.success) {
      const { fix, secret }: { fix: string; secret?: string } = VARIABLES[name];
      if (secret !== undefined) {
        throw new ConfigError(
          name,
          `the value is refused: it ${secret} (a secret's value is never printed): ${fix}`,
        );
      }
      const why = result.error.issues.map((issue) => issue.message).join("; ");
      throw new ConfigError(name, `invalid value ${JSON.stringify(raw)} (${why}): ${fix}`);
    }
    return result.data as z.output<(typeof VARIABLES)[K]["schema"]>;
  };

  const port = value("PORT");
  const publicUrl = value("PUBLIC_URL");
  const settings = parseCoachSettings(value("COACH_SETTINGS"));
  const redisUrl = value("REDIS_URL");
  if (redisUrl !== undefined) {
    // A webhook, a media socket and a page may each reach a different instance: all must share these.
    for (const name of ["TWILIO_AUTH_TOKEN", "UI_ACCESS_KEY"] as const) {
      if (value(name) === undefined) {
        throw new ConfigError(
          name,
          "must be set when REDIS_URL is set: every instance of a cluster must use the same one " +
            "(`deno task cluster` makes one for its instances when it is unset)",
        );
      }
    }
  }
  return {
    port,
    publicUrl: (publicUrl ?? `http://127.0.0.1:${port}`).replace(/\/+$/, ""),
    publicUrlSet: publicUrl !== undefined,
    twilio: {
      accountSid: value("TWILIO_ACCOUNT_SID"),
      authToken: value("TWILIO_AUTH_TOKEN"),
      phoneNumber: value("TWILIO_PHONE_NUMBER"),
    },
    agentPhoneNumber: value("AGENT_PHONE_NUMBER"),
    agentTrack: value("AGENT_TRACK"),
    uiAccessKey: value("UI_ACCESS_KEY"),
    logLevel: value("LOG_LEVEL"),
    redisUrl,
    instanceId: value("INSTANCE_ID"),
    ...settings,
    phrasing: phrasingSettings(value),
  };
}

/** The AI phrasing's settings, or null without `COACH_LLM_BASE_URL`. */
function phrasingSettings(
  value: <K extends VariableName>(name: K) => z.output<(typeof VARIABLES)[K]["schema"]>,
): PhrasingSettings | null {
  const raw = value("COACH_LLM_BASE_URL");
  const apiKey = value("COACH_LLM_API_KEY");
  const model = value("COACH_LLM_MODEL");
  const timeoutMs = value("COACH_LLM_TIMEOUT_MS");
  const maxInFlight = value("COACH_LLM_MAX_IN_FLIGHT");
  const language = value("COACH_LANGUAGE");
  if (raw === undefined) return null;
  const fail = (why: string, fix: string = VARIABLES.COACH_LLM_BASE_URL.fix) => {
    throw new ConfigError("COACH_LLM_BASE_URL", `${why}: ${fix}`);
  };
  const url = URL.parse(raw);
  if (url === null || !/^https?:$/.test(url.protocol)) fail("is not an http:// or https:// URL");
  if (url!.username || url!.password) {
    fail("must not carry credentials", "put the key in COACH_LLM_API_KEY and the bare URL here");
  }
  if (url!.search || url!.hash) fail("must not have a query string or fragment");
  if (apiKey !== undefined && url!.protocol === "http:" && !LOOPBACK_HOSTS.has(url!.hostname)) {
    fail(
      "is plain http:// to another machine while COACH_LLM_API_KEY is set (the key would cross the network " +
        "unencrypted)",
      "use the endpoint's https:// URL, or a server on this machine",
    );
  }
  if (model === undefined) {
    throw new ConfigError(
      "COACH_LLM_MODEL",
      `is required with COACH_LLM_BASE_URL: ${VARIABLES.COACH_LLM_MODEL.fix}`,
    );
  }
  return { baseUrl: raw.replace(/\/+$/, ""), apiKey, model, timeoutMs, maxInFlight, language };
}

function parseCoachSettings(raw: string | undefined): Pick<AppConfig, "analysis" | "coaching" | "session"> {
  let json: unknown = {};
  if (raw !== undefined) {
    try {
      json = JSON.parse(raw);
    } catch (error) {
      throw new ConfigError(
        "COACH_SETTINGS",
        `is not JSON (${(error as Error).message}): ${VARIABLES.COACH_SETTINGS.fix}`,
      );
    }
  }
  const schema = z.strictObject({
    analysis: AnalysisConfigSchema.default(AnalysisConfigSchema.parse({})),
    coaching: CoachingConfigSchema.default(CoachingConfigSchema.parse({})),
    session: SessionConfigSchema.default(SessionConfigSchema.parse({})),
  });
  const result = schema.safeParse(json);
  if (!result.success) {
    const issues = result.error.issues.map((issue) =>
      `${issue.path.join(".") || "(root)"}: ${issue.message}`
    );
    throw new ConfigError("COACH_SETTINGS", `${issues.join("; ")}: ${VARIABLES.COACH_SETTINGS.fix}`);
  }
  // Frozen: every call shares what is derived from these settings (see core/per_config.ts).
  const { analysis, coaching, session } = result.data;
  return {
    analysis: Object.freeze(analysis),
    coaching: Object.freeze(coaching),
    session: Object.freeze(session),
  };
}

function isLoopbackUrl(url: string): boolean {
  const hostname = URL.parse(url)?.hostname;
  return hostname !== undefined && LOOPBACK_HOSTS.has(hostname);
}
