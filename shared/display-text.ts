/**
 * Unicode direction controls: embeddings and overrides (U+202A–U+202E), isolates (U+2066–U+2069)
 * and the invisible marks (U+200E, U+200F, U+061C). In a name, subject or file name they let a
 * sender make text read differently from what it is ("invoice\u202Efdp.exe" shows as
 * "invoiceexe.pdf"; a From name can reverse the address shown after it).
 */
const DIRECTION_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Text from mail as it may be shown or saved: without direction controls, so it reads as what it is. */
export function withoutDirectionControls(text: string): string {
  return text.replace(DIRECTION_CONTROLS, '');
}
