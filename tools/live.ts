/**
 * `deno task live`: real calls in one command. Starts a Cloudflare quick tunnel, the server with the
 * tunnel's URL as `PUBLIC_URL`, and (with Twilio credentials) points the Twilio number's voice webhook and
 * status callback at it. Ctrl-C stops everything. Step-by-step guide: the README, "Live call".
 *
 * @example
 * ```ts
 * const live = await runLive({ env: { PORT: "0" }, write: console.log });
 * // … calls …
 * await live.stop();
 * ```
 *
 * @module
 */
import { ConfigError, loadConfig } from "../core/config.ts";
import type { Logger } from "../core/log.ts";
import { buildIslands } from "../islands/glue.ts";
import { readEnvironment } from "../lib/environment.ts";
import { type RunningServer, startServer } from "../server/start.ts";
import { createTwilioRestClient, type TwilioRestClient } from "../lib/twilio_rest.ts";
import {
  CLOUDFLARED_INSTALL_HINT,
  findExecutable,
  startTunnel,
  type Tunnel,
  TunnelError,
} from "./cloudflared.ts";
import { missingTwilioVariables, pointNumberAt, TwilioSetupError, webhookSettings } from "./twilio_number.ts";

/** Options for {@linkcode runLive}; everything is injectable for tests. */
export interface LiveOptions {
  /** Configuration variables (default: process environment over `.env`). */
  env?: Record<string, string | undefined>;
  /** cloudflared executable (default: found on the `PATH` of `env`). */
  cloudflaredPath?: string;
  /** Twilio REST client (default: made from the credentials in `env`). */
  twilioClient?: TwilioRestClient;
  /** Where instructions go (default `console.log`). */
  write?: (text: string) => void;
  /** How long to wait for the tunnel URL, ms. */
  tunnelTimeoutMs?: number;
  /** Server interface (default: every interface). */
  hostname?: string;
  /** Server logger (default: JSON lines at `LOG_LEVEL`). */
  log?: Logger;
  /** Builds the page's scripts before serving (default `buildIslands()`, as `deno task start` does). */
  buildPage?: () => Promise<unknown>;
}

/** A running live session. */
export interface LiveSession {
  /** The tunnel's `https://….trycloudflare.com` URL, the server's `PUBLIC_URL`. */
  publicUrl: string;
  server: RunningServer;
  tunnel: Tunnel;
  /** Whether the Twilio number was pointed at the tunnel. */
  numberPointed: boolean;
  /** Stops the server, then the tunnel. Safe to call more than once. */
  stop(): Promise<void>;
}

/** A problem that stops `deno task live`, with the fix in the message. */
export class LiveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LiveError";
  }
}

/**
 * Starts the tunnel, the server and the Twilio number set-up, and prints what to do next.
 *
 * @throws {LiveError} (cloudflared missing, port busy, bad configuration, tunnel or Twilio failure);
 *   whatever was started is stopped first.
 */
export async function runLive(options: LiveOptions = {}): Promise<LiveSession> {
  const env = options.env ?? readEnvironment();
  const write = options.write ?? console.log;
  const cloudflaredPath = options.cloudflaredPath ?? findExecutable("cloudflared", env.PATH);
  if (!cloudflaredPath) throw new LiveError(CLOUDFLARED_INSTALL_HINT);
  // Check the configuration (and the port) before asking Cloudflare for a tunnel.
  configFor(env, "https://check.trycloudflare.com");
  const port = freePort(env.PORT?.trim() || "8000");

  write(`Starting a Cloudflare quick tunnel to http://127.0.0.1:${port} …`);
  // Build the page while cloudflared registers the tunnel (both take a few seconds).
  const pageBuilt = (options.buildPage ?? buildIslands)().then(() => null, (error: unknown) => error);
  let tunnel: Tunnel;
  try {
    tunnel = await startTunnel({
      cloudflaredPath,
      port,
      timeoutMs: options.tunnelTimeoutMs,
      onErrorLine: (line) => write(`cloudflared: ${line}`),
    });
  } catch (error) {
    await pageBuilt;
    if (error instanceof TunnelError) throw new LiveError(error.message);
    throw error;
  }

  let server: RunningServer | undefined;
  const stop = once(async () => {
    await server?.shutdown();
    await tunnel.stop();
  });
  try {
    const buildError = await pageBuilt;
    if (buildError !== null) throw buildError;
    server = await startServer(configFor(env, tunnel.url, port), {
      hostname: options.hostname,
      log: options.log,
    });
    const numberPointed = await setUpTwilio(env, tunnel.url, options.twilioClient, write);
    write(instructions(env, server, tunnel.url, numberPointed));
    return { publicUrl: tunnel.url, server, tunnel, numberPointed, stop };
  } catch (error) {
    await stop();
    if (error instanceof TwilioSetupError) throw new LiveError(error.message);
    if (error instanceof Deno.errors.AddrInUse) {
      throw new LiveError(`Port ${port} was taken while the tunnel started: run \`deno task live\` again.`);
    }
    throw error;
  }
}

/** Points the number at the tunnel when the credentials are there; says what is missing otherwise. */
async function setUpTwilio(
  env: Record<string, string | undefined>,
  publicUrl: string,
  injected: TwilioRestClient | undefined,
  write: (text: string) => void,
): Promise<boolean> {
  if (missingTwilioVariables(env).length > 0) return false;
  const phoneNumber = env.TWILIO_PHONE_NUMBER!.trim();
  const client = injected ?? createTwilioRestClient({
    accountSid: env.TWILIO_ACCOUNT_SID!.trim(),
    authToken: env.TWILIO_AUTH_TOKEN!.trim(),
  });
  write(`Pointing ${phoneNumber} at the tunnel …`);
  await pointNumberAt(client, phoneNumber, publicUrl);
  return true;
}

/** What to do next, for the person at the terminal. */
export function instructions(
  env: Record<string, string | undefined>,
  server: Pick<RunningServer, "url" | "config" | "accessKey" | "accessKeyGenerated">,
  publicUrl: string,
  numberPointed: boolean,
): string {
  const page = `${server.url}/`;
  const hooks = webhookSettings(publicUrl);
  const lines = [``, `Tunnel:  ${publicUrl} → ${server.url}`];
  if (numberPointed) {
    const number = server.config.twilio.phoneNumber;
    const agent = server.config.agentPhoneNumber;
    lines.push(
      `Twilio:  ${number} → ${hooks.voiceUrl} (POST), status callback ${hooks.statusCallback}`,
      ``,
      `Call ${number} now, then open ${page} to watch the live tips.`,
      agent
        ? `  The call is forwarded to the agent at ${agent}. Click-to-call on the page rings ${agent} first, ` +
          `then the customer.`
        : `  Without AGENT_PHONE_NUMBER you talk to the coach alone (set it to forward calls to an agent).`,
      `  Trial accounts play a short notice first: press any key when asked.`,
    );
  } else {
    const missing = missingTwilioVariables(env);
    lines.push(
      ``,
      `Twilio is not configured (missing ${missing.join(", ")}).`,
      `  Put them in .env and run \`deno task live\` again: the number is then pointed here automatically.`,
      `  Or, in the Twilio console, set your number's "A call comes in" webhook to ${hooks.voiceUrl} (HTTP POST).`,
    );
    if (!env.TWILIO_AUTH_TOKEN?.trim()) {
      lines.push(
        `  Without TWILIO_AUTH_TOKEN the server cannot verify Twilio's signatures and refuses real calls.`,
      );
    }
    lines.push(`Then call your Twilio number and open ${page} to watch the live tips.`);
  }
  const key = server.accessKeyGenerated ? `access key ${server.accessKey}` : "your UI_ACCESS_KEY";
  lines.push(
    `From another machine: open ${publicUrl}/ and enter ${key} (click-to-call works only on this machine).`,
    ``,
    `The tunnel URL changes on every run. Press Ctrl-C to stop the server and the tunnel.`,
  );
  return lines.join("\n");
}

function configFor(env: Record<string, string | undefined>, publicUrl: string, port?: number) {
  try {
    return loadConfig({
      ...env,
      PUBLIC_URL: publicUrl,
      ...(port === undefined ? {} : { PORT: String(port) }),
    });
  } catch (error) {
    if (error instanceof ConfigError) throw new LiveError(`Configuration problem: ${error.message}`);
    throw error;
  }
}

/**
 * The port to serve on: `requested`, checked to be free now (the tunnel needs it before the server
 * starts), or an ephemeral one for `0`.
 */
function freePort(requested: string): number {
  const wanted = Number(requested);
  try {
    const listener = Deno.listen({ hostname: "0.0.0.0", port: wanted });
    const port = (listener.addr as Deno.NetAddr).port;
    listener.close();
    return port;
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) {
      throw new LiveError(
        `Port ${wanted} is already in use: stop what runs there or set PORT to another port.`,
      );
    }
    throw error;
  }
}

function once(run: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null;
  return () => running ??= run();
}

/** Runs `deno task live` until Ctrl-C (exit 0) or until the tunnel dies (exit 1). */
async function main(): Promise<void> {
  // Listen before starting anything: a Ctrl-C during start-up must still stop what was started.
  const stopRequested = Promise.withResolvers<"signal">();
  const onSignal = () => stopRequested.resolve("signal");
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  let live: LiveSession;
  try {
    live = await runLive();
  } catch (error) {
    if (!(error instanceof LiveError)) throw error;
    // Ctrl-C in a terminal reaches cloudflared too, which then "fails" to start: that is a stop, not an error.
    const interrupted = await Promise.race([stopRequested.promise, Promise.resolve("no")]);
    if (interrupted === "signal") Deno.exit(0);
    console.error(error.message);
    Deno.exit(1);
  }
  const outcome = await Promise.race([stopRequested.promise, live.tunnel.exited]);
  // Ctrl-C in a terminal signals cloudflared as well; its exit may be noticed before our own signal.
  const byUser = outcome === "signal" || outcome.signal === "SIGINT" || outcome.signal === "SIGTERM";
  if (!byUser) {
    console.error(
      `cloudflared exited unexpectedly (code ${outcome.code}); stopping. Run \`deno task live\` again.`,
    );
    await live.stop();
    Deno.exit(1);
  }
  console.log("\nStopping the server and the tunnel …");
  await live.stop();
  Deno.exit(0);
}

if (import.meta.main) await main();
