import assert from "node:assert/strict";
import type { Suggestion } from "../../../core/coaching/types.ts";
import type { TrackName } from "../../../core/config.ts";
import type { MetricsData } from "../../../core/protocol/ui_messages.ts";
import { CallPipeline } from "../../../core/session/call_pipeline.ts";

const fixture = (name: string) =>
  Deno.readFileSync(new URL(`../../fixtures/speech/${name}.ulaw`, import.meta.url));
const AGENT = fixture("agent_explain");
const CUSTOMER = fixture("customer_problem");

/** A two-party call: agent and customer take turns with their clips, `minutes` long. */
function conversation(minutes: number) {
  const total = minutes * 60 * 8000;
  const agent = new Uint8Array(total).fill(0xff);
  const customer = new Uint8Array(total).fill(0xff);
  let at = 0;
  for (let turn = 0; at < total; turn++) {
    const [track, clip] = turn % 2 === 0 ? [agent, AGENT] : [customer, CUSTOMER];
    const length = Math.min(clip.length, total - at);
    track.set(clip.subarray(0, length), at);
    at += length + 4000; // half a second between turns
  }
  return { agent, customer };
}

function run(
  audio: { agent: Uint8Array; customer: Uint8Array },
  agentTrack: TrackName,
  order: "interleaved" | "bursts",
) {
  const suggestions: Suggestion[] = [];
  const metrics: MetricsData[] = [];
  const pipeline = new CallPipeline({
    agentTrack,
    onSuggestion: (s) => suggestions.push(s),
    onMetrics: (m) => metrics.push(m),
  });
  const customerTrack: TrackName = agentTrack === "outbound" ? "inbound" : "outbound";
  const frames = audio.agent.length / 160;
  const frame = (bytes: Uint8Array, k: number) => bytes.subarray(k * 160, (k + 1) * 160);
  if (order === "interleaved") {
    for (let k = 0; k < frames; k++) {
      pipeline.ingest(agentTrack, k * 20, frame(audio.agent, k));
      pipeline.ingest(customerTrack, k * 20, frame(audio.customer, k));
    }
  } else {
    // The tracks arrive in bursts of 8 frames, one track ahead of the other, as over a jittery network.
    for (let k = 0; k < frames; k += 8) {
      for (let j = k; j < Math.min(k + 8, frames); j++) {
        pipeline.ingest(customerTrack, j * 20, frame(audio.customer, j));
      }
      for (let j = k; j < Math.min(k + 8, frames); j++) {
        pipeline.ingest(agentTrack, j * 20, frame(audio.agent, j));
      }
    }
  }
  pipeline.flush();
  return { suggestions, metrics, pipeline };
}

Deno.test("Pipeline - a 10-minute two-party call runs through analysis and rules, 4 metrics a second", () => {
  const audio = conversation(10);
  const { metrics, pipeline } = run(audio, "outbound", "interleaved");
  assert.equal(pipeline.streamMs, 600_000);
  assert.ok(Math.abs(metrics.length - 2400) <= 1, `${metrics.length} metrics`);
  assert.ok(metrics.some((m) => m.agent.speaking) && metrics.some((m) => m.customer.speaking));
  assert.ok(metrics.at(-1)!.talk_ratio !== null);
  assert.equal(pipeline.alignment.late, 0);
});

Deno.test("Pipeline - identical output whatever the arrival pattern of the frames", () => {
  const audio = conversation(2);
  const a = run(audio, "outbound", "interleaved");
  const b = run(audio, "outbound", "bursts");
  assert.deepEqual(b.suggestions, a.suggestions);
  assert.deepEqual(b.metrics, a.metrics);
});

Deno.test("Pipeline - the agent is whichever track the call says: reversed calls measure the right voice", () => {
  const audio = { agent: conversation(1).agent, customer: new Uint8Array(60 * 8000).fill(0xff) };
  for (const agentTrack of ["outbound", "inbound"] as const) {
    const { metrics } = run(audio, agentTrack, "interleaved");
    assert.ok(metrics.some((m) => m.agent.speaking), `${agentTrack}: agent speech found`);
    assert.ok(metrics.every((m) => !m.customer.speaking), `${agentTrack}: customer silent`);
    assert.ok(metrics.at(-1)!.agent.level_db !== null);
  }
});
