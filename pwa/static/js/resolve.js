// What a scanned or typed code names, from the master data on the device — the same rules
// as the server's /api/scan/resolve (backend/service/scans.py), so a scan means the same
// thing offline and online:
// - GS1 data (bracketed, symbology id or GS separators): GTIN from AI 01 (or 02 for the
//   content of a logistic unit), lot 10, expiry 17 (else best-before 15), count 30/37,
//   serial 21, SSCC 00; the count multiplies the barcode's packaging quantity;
// - a plain code: an item barcode in any of its GTIN forms (a case barcode counts its
//   packaging quantity), then a location barcode, then an item's SKU.
// Raw GS1 without a separator or identifier (a wedge scanner that drops them) is tried last,
// only when the code is no barcode, location or SKU.

import * as gs1 from './gs1.js';
import * as md from './masterdata.js';

export async function resolve(text) {
  const code = text.trim();
  const result = { code, kind: 'unknown', quantity: null };
  if (!code) return result;
  if (gs1.looksLikeGs1(code)) return fromGs1(code, result);
  const plain = await plainCode(code, result);
  if (plain) return plain;
  if (/^(00|01|02)\d{14,}/.test(code)) {
    const attempt = await fromGs1(code, { ...result });
    if (attempt.kind !== 'unknown') return attempt;
  }
  return result;
}

async function plainCode(code, result) {
  const barcode = await md.barcodeOf(code);
  if (barcode) {
    const item = await md.item(barcode.item_id);
    if (item) return { ...result, kind: 'item', item, quantity: barcode.quantity, packaging: barcode.packaging, barcode: barcode.code };
  }
  const location = await md.locationByBarcode(code);
  if (location) return { ...result, kind: 'location', location };
  // An item without a barcode of its own carries its SKU on its label.
  const item = await md.itemBySku(code);
  if (item) return { ...result, kind: 'item', item, quantity: 1, packaging: 'unit' };
  return null;
}

async function fromGs1(code, result) {
  let elements;
  try {
    elements = gs1.parse(code);
  } catch (error) {
    return { ...result, gs1Error: error.message, gs1Ai: error.ai };
  }
  const v = gs1.asMap(elements);
  const out = { ...result, gs1: elements };
  out.lot_number = v['10']?.value ?? null;
  out.serial = v['21']?.value ?? null;
  out.sscc = v['00']?.value ?? null;
  out.expiry_date = (v['17'] || v['15'])?.value ?? null;
  const countAi = v['30'] || v['37'];
  const packages = countAi ? Number(countAi.raw) : null;
  const key = v['01']?.value || v['02']?.value;
  if (key) {
    const barcode = await md.barcodeOf(key);
    const item = barcode && (await md.item(barcode.item_id));
    if (item) {
      out.kind = 'item';
      out.item = item;
      out.packaging = barcode.packaging;
      out.barcode = key;
      // AI 30/37 says how many packages; the barcode says how many units each one holds.
      out.quantity = (packages || 1) * barcode.quantity;
      return out;
    }
  }
  out.quantity = packages;
  if (out.sscc) out.kind = 'sscc';
  return out;
}
