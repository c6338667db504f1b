// Sound and vibration on every scan result, distinct for success, warning and error, so a
// worker looking at the shelf knows without looking at the screen.

let audio = null;

// Browsers start audio only after a user gesture; the first tap or key press unlocks it.
function unlock() {
  if (!audio) {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (Ctx) audio = new Ctx();
  }
  audio?.resume?.();
}
window.addEventListener('pointerdown', unlock, { capture: true });
window.addEventListener('keydown', unlock, { capture: true });

// [frequency Hz, duration ms, pause ms after] per tone; waveforms differ so the error is
// rough even at low volume.
const PATTERNS = {
  ok: { wave: 'sine', tones: [[1320, 90, 0]], vibrate: [40] },
  warn: { wave: 'triangle', tones: [[740, 110, 70], [740, 110, 0]], vibrate: [60, 60, 60] },
  error: { wave: 'square', tones: [[220, 380, 0]], vibrate: [250, 80, 250] },
};

export function signal(kind) {
  const pattern = PATTERNS[kind] || PATTERNS.ok;
  try { navigator.vibrate?.(pattern.vibrate); } catch { /* not allowed here */ }
  document.body.dataset.lastSignal = kind; // lets tests and screen readers see the outcome
  if (!audio || audio.state !== 'running') return;
  let at = audio.currentTime;
  for (const [freq, ms, pause] of pattern.tones) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = pattern.wave;
    osc.frequency.value = freq;
    // A short ramp avoids the click of a hard start and stop.
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.25, at + 0.01);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + ms / 1000);
    osc.connect(gain).connect(audio.destination);
    osc.start(at);
    osc.stop(at + ms / 1000 + 0.02);
    at += (ms + pause) / 1000;
  }
}
