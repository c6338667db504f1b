// Camera scanning. Where the browser has a BarcodeDetector (Android Chrome) frames are read
// on the device; elsewhere (desktop Linux Chromium, Firefox, iOS Safari) about three frames a
// second go to the server's decoder, downscaled to at most 960 px wide as JPEG — small enough
// to upload on warehouse Wi-Fi, big enough for zxing-cpp to read a shelf label.

import { api, NetworkError } from './api.js';

export const MAX_WIDTH = 960;
export const UPLOAD_INTERVAL_MS = 333;
export const DETECT_INTERVAL_MS = 120;
export const REPEAT_WINDOW_MS = 1500;

export function frameSize(width, height, max = MAX_WIDTH) {
  if (!width || !height) return { width: 0, height: 0 };
  const scale = Math.min(1, max / width);
  return { width: Math.round(width * scale), height: Math.round(height * scale) };
}

// The formats a warehouse meets; a detector that knows none of them is no use.
const WANTED = ['ean_13', 'ean_8', 'upc_a', 'upc_e', 'code_128', 'code_39', 'code_93', 'itf',
  'codabar', 'qr_code', 'data_matrix', 'pdf417', 'aztec'];

export async function browserDetector(Detector = globalThis.BarcodeDetector) {
  if (!Detector) return null;
  try {
    const supported = await Detector.getSupportedFormats();
    const formats = WANTED.filter((f) => supported.includes(f));
    return formats.length ? new Detector({ formats }) : null;
  } catch {
    return null;
  }
}

// A reader turns an image source into the texts it holds: with the detector, or by upload.
export function detectorReader(detector) {
  const read = async (source) => (await detector.detect(source)).map((b) => b.rawValue).filter(Boolean);
  read.kind = 'detector';
  read.interval = DETECT_INTERVAL_MS;
  return read;
}

export function uploadReader({ post = postFrame } = {}) {
  const canvas = document.createElement('canvas');
  const read = async (source) => {
    const { width, height } = frameSize(source.videoWidth || source.width, source.videoHeight || source.height);
    if (!width) return [];
    canvas.width = width;
    canvas.height = height;
    canvas.getContext('2d').drawImage(source, 0, 0, width, height);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.8));
    if (!blob) return [];
    return post(blob);
  };
  read.kind = 'upload';
  read.interval = UPLOAD_INTERVAL_MS;
  return read;
}

async function postFrame(blob) {
  const answer = await api('/api/scan/decode', { method: 'POST', raw: blob, contentType: 'image/jpeg' });
  return answer.symbols.map((s) => s.text);
}

export async function pickReader(options = {}) {
  const detector = await browserDetector(options.Detector);
  return detector ? detectorReader(detector) : uploadReader(options);
}

// The same label seen again within the window is the same scan (a camera sees it in every
// frame while the worker aims); the window restarts on each sighting, so only taking the
// label out of view and back reads it again.
export function repeatFilter(windowMs = REPEAT_WINDOW_MS, now = () => performance.now()) {
  const seen = new Map();
  return (text) => {
    const t = now();
    const last = seen.get(text);
    seen.set(text, t);
    for (const [key, at] of seen) if (t - at > windowMs * 4) seen.delete(key);
    return last === undefined || t - last > windowMs;
  };
}

export class CameraScanner {
  constructor({ video, onCode, onStatus = () => {}, reader = null }) {
    Object.assign(this, { video, onCode, onStatus, reader });
    this.stream = null;
    this.timer = null;
    this.fresh = repeatFilter();
    this.torchOn = false;
  }

  async start() {
    this.reader = this.reader || (await pickReader());
    this.stream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: { ideal: 'environment' }, width: { ideal: 1280 }, height: { ideal: 720 } },
      audio: false,
    });
    this.video.srcObject = this.stream;
    this.video.setAttribute('playsinline', '');
    this.video.muted = true;
    await this.video.play();
    this.onStatus('scanning', this.reader.kind);
    this.loop();
  }

  get track() { return this.stream?.getVideoTracks()[0] || null; }

  hasTorch() {
    const caps = this.track?.getCapabilities?.() || {};
    return !!caps.torch;
  }

  async toggleTorch() {
    if (!this.hasTorch()) return false;
    this.torchOn = !this.torchOn;
    await this.track.applyConstraints({ advanced: [{ torch: this.torchOn }] });
    return this.torchOn;
  }

  // One read at a time: a slow upload delays the next frame instead of piling requests up.
  loop() {
    if (!this.stream) return;
    const started = performance.now();
    this.reader(this.video).then((texts) => {
      this.onStatus('scanning', this.reader.kind);
      for (const text of texts) if (this.fresh(text)) this.onCode(text);
      return this.reader.interval;
    }, (error) => {
      if (error instanceof NetworkError) {
        this.onStatus('needs-network', this.reader.kind);
        return 1500;
      }
      this.onStatus('error', this.reader.kind);
      return 1000;
    }).then((interval) => {
      if (!this.stream) return;
      const wait = Math.max(0, interval - (performance.now() - started));
      this.timer = setTimeout(() => this.loop(), wait);
    });
  }

  stop() {
    clearTimeout(this.timer);
    this.stream?.getTracks().forEach((track) => track.stop());
    this.stream = null;
    if (this.video) this.video.srcObject = null;
  }
}
