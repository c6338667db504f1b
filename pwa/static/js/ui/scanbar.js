// The scan bar on every scanning screen: a field to type a code (always possible) and a
// camera button. Hardware scanners need neither: the global wedge listener catches them.

import { h, replace } from '../dom.js';
import { t } from '../i18n.js';
import { submitScan } from '../scanqueue.js';
import { CameraScanner } from '../scan.js';

export function scanBar({ placeholder = t('scan.placeholder') } = {}) {
  const input = h('input', {
    type: 'text', autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', enterkeyhint: 'go',
    placeholder, 'aria-label': t('scan.manual'), 'data-testid': 'scan-input',
  });
  const form = h('form', { class: 'scanbar', onsubmit: (e) => { e.preventDefault(); submitScan(input.value, 'manual'); input.value = ''; } },
    input,
    h('button', { type: 'submit', class: 'primary', 'aria-label': t('scan.submit') }, t('scan.ok')));
  const cameraBox = h('div', { class: 'camera-slot' });
  let scanner = null;

  const cameraButton = h('button', { type: 'button', class: 'wide', 'data-testid': 'camera-toggle', onclick: toggle }, t('scan.camera'));

  async function toggle() {
    if (scanner) { stop(); return; }
    const video = h('video', { muted: true, playsinline: true, 'aria-label': t('scan.camera') });
    const state = h('span', { class: 'state', 'data-testid': 'camera-state' }, t('scan.starting'));
    const torch = h('button', { type: 'button', hidden: true, 'aria-pressed': 'false', onclick: async () => {
      const on = await scanner.toggleTorch();
      torch.setAttribute('aria-pressed', String(on));
    } }, t('scan.torch'));
    const close = h('button', { type: 'button', onclick: stop }, t('scan.close'));
    replace(cameraBox, h('div', { class: 'camera' }, video, h('div', { class: 'viewfinder', 'aria-hidden': 'true' }), state, h('div', { class: 'controls' }, torch, close)));
    scanner = new CameraScanner({
      video,
      onCode: (text) => submitScan(text, 'camera'),
      onStatus: (s, kind) => {
        state.textContent = s === 'needs-network' ? t('scan.camera_needs_network') : s === 'error' ? t('scan.camera_error') : t(kind === 'detector' ? 'scan.reading_device' : 'scan.reading_server');
        document.body.dataset.camera = `${s}:${kind}`;
      },
    });
    cameraButton.textContent = t('scan.camera_stop');
    try {
      await scanner.start();
      torch.hidden = !scanner.hasTorch();
    } catch (error) {
      console.warn(error);
      stop();
      replace(cameraBox, h('div', { class: 'msg warn' }, t('scan.camera_unavailable')));
    }
  }

  function stop() {
    scanner?.stop();
    scanner = null;
    replace(cameraBox);
    cameraButton.textContent = t('scan.camera');
    delete document.body.dataset.camera;
  }

  const el = h('div', { class: 'scanblock' }, form, cameraButton, cameraBox);
  el.cleanup = stop;
  el.focusInput = () => input.focus();
  return el;
}
