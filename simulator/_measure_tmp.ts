import { SpeechTrack } from "./synth.ts";
import { TrackAnalyzer } from "../core/audio/track_analyzer.ts";
for (const [wpm, level] of [[140, -26], [190, -26], [85, -26], [140, -13], [140, -44], [110,-26],[160,-26], [170, -20]]) {
  const track = new SpeechTrack([{ startMs: 500, durationMs: 20000, wpm, levelDb: level, pitchHz: 120 }], { seed: 3 });
  const an = new TrackAnalyzer();
  const wpms: number[] = []; let lvl = null; let speakingSlots = 0;
  for (let i = 0; i < 1100; i++) { const r = an.processFrame(track.nextFrame()); if (r.speaking) speakingSlots++; if (r.wpm !== null && i % 50 === 0) wpms.push(Math.round(r.wpm)); lvl = r.activeLevelDb; }
  console.log(wpm, level, "-> wpm", wpms.join(","), "level", lvl?.toFixed(1), "speech s", speakingSlots * 0.02);
}
