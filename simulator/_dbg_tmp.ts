import { SpeechTrack } from "./synth.ts";
import { buildScenarios } from "./scenarios.ts";
import { TrackAnalyzer } from "../core/audio/track_analyzer.ts";
import { ConversationState } from "../core/coaching/conversation.ts";
import { defaultCoachingConfig } from "../core/coaching/config.ts";
const sc = buildScenarios().tense;
const seed = Number(Deno.args[0]);
const a = new SpeechTrack(sc.agent, { seed: 11 + seed }), c = new SpeechTrack(sc.customer, { seed: 22 + seed });
const aa = new TrackAnalyzer(), ca = new TrackAnalyzer();
const conv = new ConversationState(defaultCoachingConfig);
let line = "";
for (let ms = 0; ms < sc.durationMs; ms += 20) {
  const ar = aa.processFrame(a.nextFrame()); const as = ar.speaking;
  const cr = ca.processFrame(c.nextFrame());
  conv.update(ms, as, cr.speaking, cr.frameLevelDb);
  if (ms % 200 === 0 && ms > 16000 && ms < 26000) line += `${(ms/1000).toFixed(1)}:${cr.speaking?"S":"-"}${conv.customerAboveBaselineDb?.toFixed(1)} b=${conv.customerBaselineDb?.toFixed(1)} `;
}
console.log(sc.customer.map(u => `${u.startMs}-${u.startMs+u.durationMs}@${u.levelDb}`).join(" "));
console.log(line);
