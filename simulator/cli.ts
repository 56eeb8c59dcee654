/**
 * `deno task simulate <scenario> [options]`: plays a scripted call through a running server exactly as
 * Twilio would, prints the tips as they arrive and a summary; exits 1 when the tips are not the expected
 * ones, 2 on a usage, configuration or connection problem.
 *
 * The auth token comes from the same configuration as the server (`TWILIO_AUTH_TOKEN`, environment or
 * `.env`), else from the ephemeral token a local server without one wrote for its port.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { type AppConfig, ConfigError, loadConfig } from "../core/config.ts";
import { readEnvironment } from "../lib/environment.ts";
import { localTokenPath, readLocalToken } from "../lib/local_token.ts";
import { AudioFileError, loadAudioFile } from "./audio_file.ts";
import { formatScenarioList } from "./report.ts";
import { buildScenarios, isScenarioName, SCENARIO_NAMES } from "./scenarios.ts";
import { runSimulation, type SimulationOptions } from "./simulation.ts";
import { isCallSid } from "../core/protocol/twilio_messages.ts";
import { SimulatorError } from "./twilio_client.ts";

const USAGE = `Usage: deno task simulate <scenario> [options]
       deno task simulate --list

Plays a scripted two-party call through the server exactly as Twilio would and checks the tips.

Options:
  --url URL             server to call (default http://127.0.0.1:PORT, PORT from the configuration)
  --public-url URL      the server's PUBLIC_URL, which signatures are computed over (default: PUBLIC_URL
                        from the configuration when --url is not given, else --url)
  --speed N             1 = real time (default), 10 = ten times faster, 0 = as fast as possible
  --call-sid CA…        Call SID to use (default: random)
  --agent-track T       track that carries the agent: outbound or inbound (default: what the server says)
  --agent-audio FILE    play this recording as the agent (.ulaw/.raw 8 kHz μ-law, or .wav)
  --customer-audio FILE play this recording as the customer
  --seed N              seed of the synthesized voices (default 0)
  --list                list the scenarios and the tips each expects
  --help                this text`;

/** A command-line problem: the message is printed with the usage hint, exit code 2. */
export class UsageError extends Error {}

/** Parsed command line. */
export interface CliArgs {
  list: boolean;
  help: boolean;
  scenario?: string;
  url?: string;
  publicUrl?: string;
  speed: number;
  callSid?: string;
  agentTrack?: "inbound" | "outbound";
  agentAudio?: string;
  customerAudio?: string;
  seed: number;
}

/**
 * Parses the command line.
 *
 * @throws {UsageError} for unknown options, bad values, a missing or unknown scenario.
 */
export function parseCliArgs(args: string[]): CliArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        url: { type: "string" },
        "public-url": { type: "string" },
        speed: { type: "string", default: "1" },
        "call-sid": { type: "string" },
        "agent-track": { type: "string" },
        "agent-audio": { type: "string" },
        "customer-audio": { type: "string" },
        seed: { type: "string", default: "0" },
        list: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const result: CliArgs = {
    list: values.list,
    help: values.help,
    speed: number("--speed", values.speed, 0),
    seed: Math.trunc(number("--seed", values.seed, 0)),
  };
  if (result.list || result.help) return result;
  if (positionals.length !== 1) throw new UsageError("give exactly one scenario name (see --list)");
  const [scenario] = positionals;
  if (!isScenarioName(scenario)) {
    throw new UsageError(`unknown scenario "${scenario}"; choose one of ${SCENARIO_NAMES.join(", ")}`);
  }
  result.scenario = scenario;
  if (values.url !== undefined) result.url = httpUrl("--url", values.url);
  if (values["public-url"] !== undefined) result.publicUrl = httpUrl("--public-url", values["public-url"]);
  const callSid = values["call-sid"];
  if (callSid !== undefined) {
    if (!isCallSid(callSid)) {
      throw new UsageError(`--call-sid must be "CA" followed by 32 hex digits, got ${callSid}`);
    }
    result.callSid = callSid;
  }
  const track = values["agent-track"];
  if (track !== undefined) {
    if (track !== "inbound" && track !== "outbound") {
      throw new UsageError(`--agent-track must be inbound or outbound, got ${track}`);
    }
    result.agentTrack = track;
  }
  result.agentAudio = values["agent-audio"];
  result.customerAudio = values["customer-audio"];
  return result;
}

function number(name: string, text: string, min: number): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || value < min) {
    throw new UsageError(`${name} must be a number ≥ ${min}, got ${text}`);
  }
  return value;
}

function httpUrl(name: string, text: string): string {
  const url = URL.parse(text);
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new UsageError(`${name} must be an http:// or https:// URL, got ${text}`);
  }
  return url.origin;
}

/**
 * The server's auth token: `TWILIO_AUTH_TOKEN` from the configuration, else the ephemeral token of the
 * local server on `url`'s port.
 *
 * @throws {SimulatorError} naming both ways to fix it when there is neither.
 */
export async function resolveAuthToken(config: AppConfig, url: string): Promise<string> {
  if (config.twilio.authToken) return config.twilio.authToken;
  const parsed = new URL(url);
  const port = Number(parsed.port || (parsed.protocol === "https:" ? 443 : 80));
  const token = await readLocalToken(port);
  if (token) return token;
  throw new SimulatorError(
    `no auth token: TWILIO_AUTH_TOKEN is not set and no local server token exists at ${
      localTokenPath(port)
    }. ` +
      "Start the server on this machine without TWILIO_AUTH_TOKEN (it writes that file), or set " +
      "TWILIO_AUTH_TOKEN to the token the server uses.",
  );
}

/** Runs the command line; returns the exit code. */
export async function main(args: string[], env: Record<string, string | undefined>): Promise<number> {
  let cli: CliArgs;
  let config: AppConfig;
  try {
    cli = parseCliArgs(args);
    config = loadConfig(env);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`Error: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof ConfigError) {
      console.error(`Configuration error: ${error.message}`);
      return 2;
    }
    throw error;
  }
  const scenarios = buildScenarios(config.coaching);
  if (cli.help) {
    console.log(USAGE);
    return 0;
  }
  if (cli.list) {
    console.log(formatScenarioList(SCENARIO_NAMES.map((name) => scenarios[name])));
    return 0;
  }
  const url = cli.url ?? `http://127.0.0.1:${config.port || 8000}`;
  const publicUrl = cli.publicUrl ?? (cli.url === undefined && config.publicUrlSet ? config.publicUrl : url);
  try {
    const scenario = scenarios[cli.scenario as keyof typeof scenarios];
    const options: SimulationOptions = {
      scenario,
      url,
      publicUrl,
      authToken: await resolveAuthToken(config, url),
      speed: cli.speed,
      callSid: cli.callSid,
      accountSid: config.twilio.accountSid,
      uiAccessKey: config.uiAccessKey,
      agentTrack: cli.agentTrack,
      agentAudio: cli.agentAudio ? await loadAudioFile(cli.agentAudio) : undefined,
      customerAudio: cli.customerAudio ? await loadAudioFile(cli.customerAudio) : undefined,
      seed: cli.seed,
      print: (line) => console.log(line),
    };
    console.log(
      `Scenario ${scenario.name}: ${scenario.description} (${(scenario.durationMs / 1000).toFixed(1)} s)`,
    );
    const result = await runSimulation(options);
    return result.ok ? 0 : 1;
  } catch (error) {
    if (error instanceof SimulatorError || error instanceof AudioFileError) {
      console.error(`Error: ${error.message}`);
      return 2;
    }
    throw error;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args, readEnvironment()));
}
