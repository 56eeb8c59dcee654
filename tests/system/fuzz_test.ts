/**
 * Throws thousands of mutated, real-shaped Twilio messages at the media socket while a real scenario
 * runs on another socket. The real call plays at a real-time-ish pace and the fuzz sockets send in
 * parallel for as long as it lasts, so the fuzz overlaps the whole call (counted, not assumed). The real
 * call must get exactly the tips it gets alone, and the server must stay up with no internal fault. Each
 * fuzz worker draws from its own seeded generator, so the mutations it sends reproduce.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../core/config.ts";
import { createLogger } from "../../core/log.ts";
import { signTwilioRequest } from "../../core/twilio/signature.ts";
import { type RunningServer, startServer } from "../../server/start.ts";
import { buildScenarios } from "../../simulator/scenarios.ts";
import { runSimulation } from "../../simulator/simulation.ts";
import { seededRandom } from "../../simulator/synth.ts";
import { answerCall, closed, MediaStream, newCallSid, openSocket } from "../support/fake_twilio.ts";

const SEED = 20261124;
/** Fuzz sockets sending at once, each from its own seeded generator. */
const FUZZ_WORKERS = 4;
/** Times real time for the real call: slow enough that the fuzz has the whole call to hit. */
const REAL_SPEED = 3;
/** Fuzz messages that must be sent while the real call is live (after its start, before its end). */
const MIN_FUZZ_DURING_CALL = 2_000;
/** A bound on the fuzz, should the real call never end. */
const MAX_FUZZ_SOCKETS = 20_000;

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

/** When the real call went live and ended (wall ms), and when each fuzz message was sent. */
interface FuzzWindow {
  startedAt: number | null;
  endedAt: number | null;
  sentAt: number[];
}

/**
 * One fuzz socket: a real start (usually), then real frames mixed with mutated ones, until closed or the
 * real call ended. Every message sent is stamped in `window.sentAt`.
 */
async function fuzzOneSocket(server: RunningServer, mutator: Mutator, window: FuzzWindow): Promise<void> {
  const callSid = newCallSid();
  const answer = await answerCall(server, callSid);
  const signed = { "x-twilio-signature": signTwilioRequest(server.authToken, answer.url, {}) };
  const socket = await openSocket(answer.url, signed);
  const stream = new MediaStream(socket, callSid);
  const done = closed(socket);
  const templates: { [key: string]: Json }[] = [];
  const sendRaw = (data: string | Uint8Array) => {
    socket.send(data);
    window.sentAt.push(performance.now());
  };
  stream.send = (message: unknown) => {
    templates.push(message as { [key: string]: Json });
    sendRaw(JSON.stringify(message));
  };
  stream.connected();
  if (mutator.random() < 0.85) stream.start(answer.parameters);
  const frame = new Uint8Array(160).fill(0xff);
  for (let i = 0; i < 20 && socket.readyState === WebSocket.OPEN && window.endedAt === null; i++) {
    if (mutator.random() < 0.5) {
      stream.media(mutator.pick(["inbound", "outbound"]), i * 20, frame);
    } else {
      sendRaw(mutator.mutate(mutator.pick(templates)));
    }
    if (i % 5 === 4) await new Promise((resolve) => setTimeout(resolve, 0));
  }
  if (socket.readyState === WebSocket.OPEN) socket.close();
  await done;
}

Deno.test("Fuzz - thousands of mutated media messages during a whole real call change nothing for it", async () => {
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
    const play = (speed: number, callSid?: string) =>
      runSimulation({ scenario, url: server.url, authToken: server.authToken, speed, seed: 7, callSid });
    const alone = await play(0);
    assert.ok(alone.ok, "the scenario passes on its own");
    assert.ok(alone.tips.length > 0, "the scenario has tips to lose");

    // The real call's own events, straight from the registry: when it went live and when it ended.
    const realSid = newCallSid();
    const window: FuzzWindow = { startedAt: null, endedAt: null, sentAt: [] };
    let fuzzSentBeforeEnd = 0;
    const unfollow = server.registry.subscribe(realSid, (message) => {
      if (message.type === "stream_started") window.startedAt = performance.now();
      if (message.type === "call_ended") {
        window.endedAt = performance.now();
        fuzzSentBeforeEnd = window.sentAt.length;
      }
    });

    const real = play(REAL_SPEED, realSid);
    let sockets = 0;
    const worker = async (index: number) => {
      const mutator = new Mutator(seededRandom(SEED + index));
      while (window.endedAt === null && sockets < MAX_FUZZ_SOCKETS) {
        sockets++;
        await fuzzOneSocket(server, mutator, window);
      }
    };
    const [underFire] = await Promise.all([
      real,
      ...Array.from({ length: FUZZ_WORKERS }, (_, i) => worker(i)),
    ]);
    unfollow();

    const { startedAt, endedAt, sentAt } = window;
    assert.ok(startedAt !== null && endedAt !== null, "the real call went live and ended");
    const during = sentAt.filter((t) => t >= startedAt && t <= endedAt);
    const summary = `${sentAt.length} fuzz messages on ${sockets} sockets: ${during.length} while the real ` +
      `call was live (${((endedAt - startedAt) / 1000).toFixed(1)} s), ${fuzzSentBeforeEnd} before it ended`;
    assert.ok(during.length >= MIN_FUZZ_DURING_CALL, summary);
    assert.ok(fuzzSentBeforeEnd >= MIN_FUZZ_DURING_CALL, summary);
    // Spread over the whole call, not bunched at its start: every quarter of it was under fire.
    const quarter = (endedAt - startedAt) / 4;
    for (let q = 0; q < 4; q++) {
      const inQuarter: number[] = during.filter((t) =>
        t >= startedAt + q * quarter && t < startedAt + (q + 1) * quarter
      );
      assert.ok(inQuarter.length >= during.length / 10, `quarter ${q + 1}: ${inQuarter.length}; ${summary}`);
    }

    const tips = (r: typeof alone) => r.tips.map((t) => `${t.stream_ms} ${t.type}`);
    assert.deepEqual(tips(underFire), tips(alone), "the real call got exactly the tips it gets alone");
    assert.ok(underFire.ok, "the real call's tips are the scenario's expected tips");
    assert.equal(underFire.endReason, "stream_stopped");
    assert.equal((await fetch(`${server.url}/health`)).status, 200, "the server is up");
    const faults = logs.filter((l) => l.level === "error");
    assert.deepEqual(faults, [], "no internal fault");
    assert.ok(logs.some((l) => l.event === "media_socket_closed"), "bad input was logged with reasons");
  } finally {
    await server.shutdown();
  }
});
