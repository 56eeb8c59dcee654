/**
 * Throws thousands of mutated, real-shaped Twilio messages at the media socket while a real scenario
 * runs on another socket. The real call must get exactly the tips it gets alone, and the server must
 * stay up with no internal fault. The mutations come from a seeded generator, so a failure reproduces.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../core/config.ts";
import { createLogger } from "../../core/log.ts";
import { signTwilioRequest } from "../../core/twilio/signature.ts";
import { type RunningServer, startServer } from "../../routes/server.ts";
import { buildScenarios } from "../../simulator/scenarios.ts";
import { runSimulation } from "../../simulator/simulation.ts";
import { seededRandom } from "../../simulator/synth.ts";
import { answerCall, closed, MediaStream, newCallSid, openSocket } from "../support/fake_twilio.ts";

const FUZZ_SOCKETS = 250;
const SEED = 20261124;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Mutates real-shaped messages in the ways a broken or hostile peer would. */
class Mutator {
  constructor(readonly random: () => number) {}

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)];
  }

  int(max: number): number {
    return Math.floor(this.random() * max);
  }

  junk(): Json {
    return this.pick<() => Json>([
      () => null,
      () => this.int(1e6) - 5e5,
      () => -1,
      () => 1e308,
      () => "",
      () => "☎".repeat(this.int(50)),
      () => String(this.int(1e9)),
      () => "-20",
      () => [],
      () => ({}),
      () => true,
      () => "A".repeat(this.int(30_000)),
      () => "%%%not-base64%%%",
    ])();
  }

  /** One mutation of a JSON message (object tree) or its text. Returns the text or bytes to send. */
  mutate(message: { [key: string]: Json }): string | Uint8Array {
    const copy = structuredClone(message);
    const paths = leafPaths(copy);
    switch (this.int(9)) {
      case 0: { // delete a field
        const path = this.pick(paths);
        const parent = walk(copy, path.slice(0, -1)) as { [key: string]: Json };
        delete parent[path.at(-1)!];
        return JSON.stringify(copy);
      }
      case 1: { // a value of the wrong type or range
        const path = this.pick(paths);
        (walk(copy, path.slice(0, -1)) as { [key: string]: Json })[path.at(-1)!] = this.junk();
        return JSON.stringify(copy);
      }
      case 2:
        copy.event = this.pick(["", "Media", "clear", "stop ", "START", "mark", "dtmf", "🚀"]);
        return JSON.stringify(copy);
      case 3: { // truncated text
        const text = JSON.stringify(copy);
        return text.slice(0, this.int(text.length));
      }
      case 4: { // payload of random bytes, any length (valid base64), or none
        const media = copy.media as { [key: string]: Json } | undefined;
        if (media) media.payload = crypto.getRandomValues(new Uint8Array(this.int(2_000))).toBase64();
        return JSON.stringify(copy);
      }
      case 5: { // timestamps far away, backwards, duplicated
        const media = copy.media as { [key: string]: Json } | undefined;
        if (media) media.timestamp = String(this.pick([0, 1, 19, 15_001, 1e12, this.int(1e7)]));
        return JSON.stringify(copy);
      }
      case 6:
        return crypto.getRandomValues(new Uint8Array(this.int(400) + 1));
      case 7:
        return " ".repeat(70_000);
      default:
        return JSON.stringify([copy, copy]);
    }
  }
}

function leafPaths(value: Json, prefix: string[] = []): string[][] {
  if (value === null || typeof value !== "object") return [prefix];
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  return entries.flatMap(([key, child]) => leafPaths(child, [...prefix, key])).filter((p) => p.length > 0);
}

function walk(value: Json, path: string[]): Json {
  return path.reduce<Json>((node, key) => (node as { [key: string]: Json })[key], value);
}

/** One fuzz socket: a real start (usually), then real frames mixed with mutated ones, until closed. */
async function fuzzOneSocket(server: RunningServer, mutator: Mutator): Promise<number> {
  const callSid = newCallSid();
  const answer = await answerCall(server, callSid);
  const signed = { "x-twilio-signature": signTwilioRequest(server.authToken, answer.url, {}) };
  const socket = await openSocket(answer.url, signed);
  const stream = new MediaStream(socket, callSid);
  const done = closed(socket);
  const templates: { [key: string]: Json }[] = [];
  stream.send = (message: unknown) => {
    templates.push(message as { [key: string]: Json });
    socket.send(JSON.stringify(message));
  };
  stream.connected();
  if (mutator.random() < 0.85) stream.start(answer.parameters);
  let sent = templates.length;
  const frame = new Uint8Array(160).fill(0xff);
  for (let i = 0; i < 20 && socket.readyState === WebSocket.OPEN; i++) {
    if (mutator.random() < 0.5) {
      stream.media(mutator.pick(["inbound", "outbound"]), i * 20, frame);
    } else {
      socket.send(mutator.mutate(mutator.pick(templates)));
    }
    sent++;
    if (i % 5 === 4) await new Promise((resolve) => setTimeout(resolve, 0));
  }
  if (socket.readyState === WebSocket.OPEN) socket.close();
  await done;
  return sent;
}

Deno.test("Fuzz - thousands of mutated media messages beside a real call change nothing for it", async () => {
  const logs: Record<string, unknown>[] = [];
  const log = createLogger({
    level: "warn",
    now: () => new Date(),
    write: (line) => logs.push(JSON.parse(line)),
  });
  const server = await startServer(
    loadConfig({ PORT: "0", COACH_SETTINGS: JSON.stringify({ session: { endGraceMs: 0 } }) }),
    { hostname: "127.0.0.1", log },
  );
  try {
    const scenario = buildScenarios(server.config.coaching).interrupt;
    const play = () =>
      runSimulation({ scenario, url: server.url, authToken: server.authToken, speed: 0, seed: 7 });
    const alone = await play();
    assert.ok(alone.ok, "the scenario passes on its own");

    const mutator = new Mutator(seededRandom(SEED));
    const real = play();
    let messages = 0;
    for (let i = 0; i < FUZZ_SOCKETS; i++) messages += await fuzzOneSocket(server, mutator);
    const underFire = await real;

    assert.ok(messages >= 2_000, `sent ${messages} fuzz messages`);
    const tips = (r: typeof alone) => r.tips.map((t) => `${t.stream_ms} ${t.type}`);
    assert.deepEqual(tips(underFire), tips(alone), "the real call got exactly the tips it gets alone");
    assert.ok(underFire.ok);
    assert.equal((await fetch(`${server.url}/health`)).status, 200, "the server is up");
    const faults = logs.filter((l) => l.level === "error");
    assert.deepEqual(faults, [], "no internal fault");
    assert.ok(logs.some((l) => l.event === "media_socket_closed"), "bad input was logged with reasons");
  } finally {
    await server.shutdown();
  }
});
