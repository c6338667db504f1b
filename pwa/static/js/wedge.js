// Hardware scanners that act as a keyboard ("keyboard wedge"): they type the code fast and
// press Enter. One listener on the window catches them on every screen, with no field
// focused.
//
// A burst is at least `minLength` characters arriving on average within `maxGap` ms of each
// other and ended by Enter. A late keystroke (up to `slack` × maxGap) does not break a burst: a busy
// main thread (IndexedDB taking a snapshot, a screen redrawing after the previous scan) can
// hold key events back, and losing the scan for it would be worse; the average still rules
// out people typing. People do not type 35 ms a key, so
// ordinary typing in a field is left alone; when a burst lands in a field, the field gets back what it held
// before the burst and the code goes to the scan queue instead. Several codes back to back
// each end with Enter and each become a scan: nothing is dropped.

export function installWedge(onScan, { maxGap = 35, minLength = 4, slack = 8, target = window } = {}) {
  let chars = [];
  let first = 0;
  let last = 0;
  let field = null; // { el, value, start, end } as it was before the burst began

  const editable = (el) => el && (el.isContentEditable
    || (el.tagName === 'INPUT' && !['checkbox', 'radio', 'button', 'submit'].includes(el.type))
    || el.tagName === 'TEXTAREA');

  function reset() { chars = []; field = null; }

  function onKeyDown(event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { reset(); return; }
    const now = event.timeStamp || performance.now();
    const fast = chars.length > 0 && now - last <= maxGap * slack;
    if (event.key === 'Enter') {
      const average = (now - first) / Math.max(1, chars.length);
      if (fast && chars.length >= minLength && average <= maxGap) {
        event.preventDefault();
        event.stopImmediatePropagation();
        if (field) restore(field);
        const code = chars.join('');
        reset();
        onScan(code, 'wedge');
        return;
      }
      reset();
      return;
    }
    if (event.key.length !== 1) return; // Shift and friends come between characters
    if (!fast) {
      chars = [];
      first = now;
      const el = event.target;
      field = editable(el) && 'value' in el
        ? { el, value: el.value, start: el.selectionStart, end: el.selectionEnd }
        : null;
    }
    chars.push(event.key);
    last = now;
  }

  target.addEventListener('keydown', onKeyDown, { capture: true });
  return () => target.removeEventListener('keydown', onKeyDown, { capture: true });
}

function restore({ el, value, start, end }) {
  el.value = value;
  try { el.setSelectionRange(start, end); } catch { /* some input types have no selection */ }
  el.dispatchEvent(new Event('input', { bubbles: true }));
}
