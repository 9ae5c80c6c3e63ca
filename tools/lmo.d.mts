// Types for tools/lmo.mjs (used by the tests).

export interface PoMessage {
  ctxt: string | null;
  id: string | null;
  idPlural: string | null;
  values: (string | undefined)[];
  forms: number;
  line: number;
}
export interface LmoEntry { key: number; forms: number; offset: number; length: number }
export interface Lmo {
  entries: LmoEntry[];
  string(e: LmoEntry): Buffer;
  lookup(msgid: string, options?: { context?: string | null; plural?: number }): string | null;
  pluralForms: string | null;
}
export function sfhHash(bytes: Uint8Array, init?: number): number;
export function readPo(input: string | Buffer, file?: string): PoMessage[];
export function compilePo(input: string | Buffer, file?: string): Buffer | null;
export function canonHash(msgid: string, context?: string | null, plural?: number): number;
export function readLmo(bytes: Buffer): Lmo;
export function catalogScript(lmos: Lmo[]): Buffer;
