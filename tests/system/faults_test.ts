import assert from "node:assert/strict";
import { loadConfig } from "../../core/config.ts";
import { silentLogger } from "../../core/log.ts";
import { type RunningServer, startServer } from "../../server/start.ts";
import { buildScenarios } from "../../simulator/scenarios.ts";
import { SpeechTrack } from "../../simulator/synth.ts";
import {
  closed,
  MediaStream,
  PageSocket,
  postWebhook,
  startLiveCall,
  waitFor,
} from "../support/fake_twilio.ts";

async function withServer(session: Record<string, number>, run: (server: RunningServer) => Promise<void>) {
  const config = loadConfig({ PORT: "0", COACH_SETTINGS: JSON.stringify({ session }) });
  const server = await startServer(config, { hostname: "127.0.0.1", log: silentLogger });
  try {
    await run(server);
  } finally {
    await server.shutdown();
  }
}

const status = (server: RunningServer, callSid: string, callStatus: string) =>
  postWebhook(server, "/webhooks/twilio/voice/status", { CallSid: callSid, CallStatus: callStatus });

/** Plays a scenario's two tracks frame by frame; `until` stops early, the position is kept. */
function player(stream: MediaStream, agentTrack: "inbound" | "outbound" = "outbound") {
  const scenario = buildScenarios().tour;
  const agent = new SpeechTrack(scenario.agent, { seed: 1 });
  const customer = new SpeechTrack(scenario.customer, { seed: 2 });
  const customerTrack = agentTrack === "outbound" ? "inbound" : "outbound";
  let ms = 0;
  return {
    scenario,
    get ms() {
      return ms;
    },
    async playUntil(endMs: number) {
      for (; ms < Math.min(endMs, scenario.durationMs); ms += 20) {
        stream.media(agentTrack, ms, agent.nextFrame());
        stream.media(customerTrack, ms, customer.nextFrame());
        if (ms % 2000 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
      }
    },
  };
}

Deno.test("Faults - a page that drops and returns mid-call misses no suggestion, and sees which still hold", async () => {
  await withServer({}, async (server) => {
    const { callSid, stream } = await startLiveCall(server);
    const witness = await PageSocket.open(server, callSid);
    const tips = () => witness.messages.filter((m) => m.type === "suggestion");
    let page = await PageSocket.open(server, callSid);
    const play = player(stream);

    await play.playUntil(play.scenario.durationMs / 3);
    await waitFor(() => server.registry.get(callSid)!.streamMs >= play.ms - 300, "analysis to catch up");
    await page.close(); // The page's socket drops...
    const before = tips().length;
    await play.playUntil((play.scenario.durationMs * 2) / 3); // ...tips keep coming while it is away...
    await waitFor(() => server.registry.get(callSid)!.streamMs >= play.ms - 300, "analysis to catch up");
    const missed = tips().slice(before);
    assert.ok(missed.length >= 1, "tips were given while the page was away");

    page = await PageSocket.open(server, callSid); // ...and it comes back.
    const hello = page.messages[0];
    assert.ok(hello.type === "hello");
    const [snapshot] = hello.sessions;
    assert.equal(snapshot.status, "live");
    assert.ok(snapshot.metrics && snapshot.metrics.stream_ms >= play.ms - 500, "current metrics");
    const streamNow = server.registry.get(callSid)!.streamMs;
    await witness.next((m) => m.type === "metrics" && m.data.stream_ms >= streamNow - 250);
    // Every tip of the call so far, each with `active` as the witness saw it end: cleared, replaced by a
    // newer tip of its type, or still holding.
    const given = tips().flatMap((m) => m.type === "suggestion" ? [m.data] : []);
    const cleared = new Set(
      witness.messages.flatMap((m) => m.type === "suggestion_cleared" ? [m.suggestion_id] : []),
    );
    const wanted = given.map((tip, i) => ({
      ...tip,
      active: !cleared.has(tip.id) && !given.slice(i + 1).some((later) => later.type === tip.type),
    }));
    assert.deepEqual(snapshot.suggestions, wanted, "every tip of the call is in the snapshot, active as now");
    assert.ok(cleared.size >= 1, "the witness saw a tip's condition stop holding");
    for (const tip of missed) {
      if (tip.type === "suggestion") assert.ok(snapshot.suggestions.some((s) => s.id === tip.data.id));
    }

    await play.playUntil(Infinity);
    stream.stop();
    await page.next((m) => m.type === "call_ended");
    const after = page.messages.filter((m) => m.type === "suggestion").length;
    const witnessAfter = tips().filter((m) => m.type === "suggestion" && m.data.stream_ms > streamNow).length;
    assert.equal(after, witnessAfter, "live tips after the return arrive as usual");
    await Promise.all([page.close(), witness.close()]);
  });
});

Deno.test("Faults - a media socket that goes quiet without stop ends after the idle timeout", async () => {
  await withServer({ idleTimeoutMs: 1000 }, async (server) => {
    const { callSid, stream } = await startLiveCall(server);
    const page = await PageSocket.open(server, callSid);
    const silence = new Uint8Array(160).fill(0xff);
    for (let t = 0; t < 500; t += 20) stream.media("outbound", t, silence);
    const ended = await page.next((m) => m.type === "call_ended", 5000);
    assert.deepEqual(ended, { type: "call_ended", session_id: callSid, reason: "idle_timeout" });
    await page.close();
    stream.socket.close();
  });
});

Deno.test("Faults - a media socket that drops without stop ends the session at once", async () => {
  await withServer({}, async (server) => {
    const { callSid, stream } = await startLiveCall(server);
    const page = await PageSocket.open(server, callSid);
    await page.next((m) => m.type === "hello");
    stream.socket.close();
    const ended = await page.next((m) => m.type === "call_ended");
    assert.deepEqual(ended, { type: "call_ended", session_id: callSid, reason: "media_socket_closed" });
    await page.close();
  });
});

Deno.test("Faults - status callback before, after, without stop, and twice: one clean end", async () => {
  await withServer({}, async (server) => {
    const silence = new Uint8Array(160).fill(0xff);
    const orders: Record<string, (call: { callSid: string; stream: MediaStream }) => Promise<void>> = {
      "status before stop": async ({ callSid, stream }) => {
        assert.equal((await status(server, callSid, "completed")).status, 204);
        const socketClosed = closed(stream.socket);
        stream.media("outbound", 20, silence); // media still in flight after the call ended
        assert.equal((await socketClosed).code, 1000);
      },
      "status after stop": async ({ callSid, stream }) => {
        stream.stop();
        await closed(stream.socket);
        assert.equal((await status(server, callSid, "completed")).status, 204);
      },
      "status without stop": async ({ callSid }) => {
        assert.equal((await status(server, callSid, "completed")).status, 204);
      },
      "status twice": async ({ callSid, stream }) => {
        assert.equal((await status(server, callSid, "completed")).status, 204);
        assert.equal((await status(server, callSid, "completed")).status, 204);
        stream.stop();
      },
    };
    for (const [name, act] of Object.entries(orders)) {
      const call = await startLiveCall(server);
      const page = await PageSocket.open(server, call.callSid);
      call.stream.media("outbound", 0, silence);
      await waitFor(() => server.registry.get(call.callSid)?.status === "live", "the stream to be live");
      await act(call);
      await page.next((m) => m.type === "call_ended");
      await new Promise((resolve) => setTimeout(resolve, 100));
      const ends = page.messages.filter((m) => m.type === "call_ended");
      assert.equal(ends.length, 1, `${name}: exactly one call_ended`);
      assert.equal(server.registry.get(call.callSid)?.status, "ended", name);
      await page.close();
      if (call.stream.socket.readyState === WebSocket.OPEN) call.stream.socket.close();
    }
  });
});
