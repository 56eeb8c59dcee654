import assert from "node:assert/strict";
import type { Suggestion } from "../../../core/coaching/types.ts";
import type { TrackName } from "../../../core/protocol/twilio_messages.ts";
import { type CallMetrics, CallPipeline } from "../../../core/session/call_pipeline.ts";
import { BufferPool } from "../../../core/buffers.ts";

const fixture = (name: string) =>
  Deno.readFileSync(new URL(`../../fixtures/speech/${name}.ulaw`, import.meta.url));
const AGENT = fixture("agent_explain");
const CUSTOMER = fixture("customer_problem");

/** A two-party call: agent and customer take turns with their clips, `minutes` long. */
function conversation(minutes: number, clips = { agent: AGENT, customer: CUSTOMER }) {
  const total = minutes * 60 * 8000;
  const agent = new Uint8Array(total).fill(0xff);
  const customer = new Uint8Array(total).fill(0xff);
  let at = 0;
  for (let turn = 0; at < total; turn++) {
    const [track, clip] = turn % 2 === 0 ? [agent, clips.agent] : [customer, clips.customer];
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
  buffers?: BufferPool,
) {
  const suggestions: Suggestion[] = [];
  const metrics: CallMetrics[] = [];
  const pipeline = new CallPipeline({
    agentTrack,
    onSuggestion: (s) => suggestions.push(s),
    onMetrics: (m) => metrics.push(m),
    buffers,
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
  assert.ok(metrics.at(-1)!.talkRatio !== null);
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
    assert.ok(metrics.at(-1)!.agent.levelDb !== null);
  }
});

Deno.test("Pipeline - a call on the rings another call gave back measures exactly as on new ones", () => {
  const pool = new BufferPool();
  // The first call: other voices, loud and fast, long enough to fill every ring (talk ratio, level, rate).
  const loud = (clip: Uint8Array) => clip.map((code) => (code & 0x80) | Math.max(0, (code & 0x7f) - 24));
  const first = run(
    conversation(3, { agent: loud(fixture("agent_fast")), customer: loud(fixture("customer_complaint")) }),
    "outbound",
    "interleaved",
    pool,
  );
  assert.ok(first.suggestions.length > 0, "the first call left state behind");
  assert.equal(pool.idleBytes, 0, "the rings are the call's while it lives");
  first.pipeline.dispose();
  const returned = pool.idleBytes;
  assert.ok(returned > 10_000, `the call gave back ${returned} bytes`);

  const audio = conversation(2);
  const fresh = run(audio, "outbound", "interleaved");
  const reused = run(audio, "outbound", "interleaved", pool);
  assert.equal(pool.idleBytes, 0, "the second call took every array the first gave back");
  assert.deepEqual(reused.suggestions, fresh.suggestions);
  assert.deepEqual(reused.metrics, fresh.metrics);
  reused.pipeline.dispose();
  assert.equal(pool.idleBytes, returned);
});

Deno.test("Pipeline - a disposed pipeline refuses frames, flush and metrics; its counters still answer", () => {
  const { pipeline } = run(conversation(0.1), "outbound", "interleaved", new BufferPool());
  const streamMs = pipeline.streamMs;
  pipeline.dispose();
  pipeline.dispose();
  assert.throws(() => pipeline.ingest("outbound", 10_000, new Uint8Array(160)), /disposed/);
  assert.throws(() => pipeline.flush(), /disposed/);
  assert.throws(() => pipeline.metrics(), /disposed/);
  assert.equal(pipeline.streamMs, streamMs);
  assert.equal(pipeline.alignment.placed, streamMs / 20 * 2);
});
