/**
 * `deno task demo`: the whole product on one machine with one command. Starts the server in-process,
 * prints the page URL, gives you a moment to open it, plays the `tour` call through the server in real
 * time exactly as Twilio would (so the page shows live meters and every kind of tip), prints the tips,
 * and keeps the server up until Ctrl-C.
 *
 * Options: `--wait S` seconds before the call starts (default 10; Enter starts it at once),
 * `--speed N` (default 1, real time), `--scenario NAME` (default tour).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../core/config.ts";
import { buildIslands } from "../islands/glue.ts";
import { readEnvironment } from "../lib/environment.ts";
import { type RunningServer, startServer } from "../server/start.ts";
import { buildScenarios, isScenarioName, SCENARIO_NAMES } from "./scenarios.ts";
import { runSimulation } from "./simulation.ts";
import { SimulatorError } from "./twilio_client.ts";

const DEFAULT_WAIT_S = 10;

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      wait: { type: "string", default: String(DEFAULT_WAIT_S) },
      speed: { type: "string", default: "1" },
      scenario: { type: "string", default: "tour" },
    },
  });
  const waitS = Number(values.wait);
  const speed = Number(values.speed);
  if (!(waitS >= 0) || !(speed >= 0) || !isScenarioName(values.scenario)) {
    console.error(
      `Usage: deno task demo [--wait SECONDS] [--speed N] [--scenario ${SCENARIO_NAMES.join("|")}]`,
    );
    Deno.exit(2);
  }

  let server: RunningServer;
  try {
    // The demo prints its own story; the server's JSON log only shows warnings unless LOG_LEVEL says more.
    // It stays offline and free: tips keep their fixed words even when .env configures the AI phrasing.
    const environment = readEnvironment();
    const config = loadConfig({ LOG_LEVEL: "warn", ...environment, COACH_LLM_BASE_URL: "" });
    if (environment.COACH_LLM_BASE_URL?.trim()) {
      console.log("The demo shows the fixed tips only; the AI phrasing is for `deno task start`.");
    }
    await buildIslands();
    server = await startServer(config);
  } catch (error) {
    if (error instanceof ConfigError) console.error(`Configuration error: ${error.message}`);
    else if (error instanceof Deno.errors.AddrInUse) {
      console.error(
        "The port is already in use: stop the other server or pick a port, e.g. PORT=8080 deno task demo",
      );
    } else throw error;
    Deno.exit(2);
  }

  const stopping = new AbortController();
  const stop = async () => {
    if (stopping.signal.aborted) return;
    stopping.abort();
    console.log("\nStopping…");
    await server.shutdown();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);

  const scenario = buildScenarios(server.config.coaching)[values.scenario];
  console.log(`\nLive Call Coach is running. Open the agent page:  ${server.url}/`);
  if (server.config.publicUrlSet) {
    console.log(`From other machines: ${server.config.publicUrl}/ with the access key ${server.accessKey}`);
  }
  console.log();
  console.log(
    `Scenario ${scenario.name}: ${scenario.description} (${(scenario.durationMs / 1000).toFixed(0)} s)`,
  );
  await startSignal(waitS, stopping.signal);
  if (stopping.signal.aborted) return;

  try {
    await runSimulation({
      scenario,
      url: server.url,
      publicUrl: server.config.publicUrl,
      authToken: server.authToken,
      speed,
      print: (line) => console.log(line),
      signal: stopping.signal,
    });
  } catch (error) {
    if (stopping.signal.aborted) return;
    if (!(error instanceof SimulatorError)) throw error;
    console.error(`The demo call failed: ${error.message}`);
  }
  console.log(
    `\nThe server keeps running at ${server.url}/ — press "Play a sample call" on the page, or play`,
  );
  console.log("other scripted calls from another terminal with");
  console.log(
    `  deno task simulate <scenario> --url ${server.url}    (scenarios: ${SCENARIO_NAMES.join(", ")})`,
  );
  console.log("Press Ctrl-C to stop.");
}

/** Waits `seconds`, or until Enter is pressed on a terminal, or until the demo is stopped. */
async function startSignal(seconds: number, signal: AbortSignal): Promise<void> {
  if (seconds === 0) return;
  const interactive = Deno.stdin.isTerminal();
  console.log(`The call starts in ${seconds} s${interactive ? " (press Enter to start now)" : ""}…`);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const waits: Promise<unknown>[] = [
    new Promise((resolve) => timer = setTimeout(resolve, seconds * 1000)),
    new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true })),
  ];
  // The stdin read stays pending after the timer wins; the process lives on until Ctrl-C anyway.
  if (interactive) waits.push(Deno.stdin.read(new Uint8Array(64)));
  await Promise.race(waits);
  clearTimeout(timer);
}

if (import.meta.main) await main();
