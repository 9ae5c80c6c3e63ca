// Types for tools/apk-adb.mjs (used by the tests).
import type { KeyObject } from 'node:crypto';

export const SCHEMA: { INDEX: number; PACKAGE: number; INSTALLED_DB: number };
export const BLOCK: { ADB: number; SIG: number; DATA: number; EXT: number };
export const VERSION: { EQUAL: number; LESS: number; GREATER: number; FUZZY: number; CONFLICT: number; ANY: number; CHECKSUM: number };
export interface Block { type: number; offset: number; size: number; payload: Buffer }
export function versionValid(v: string): boolean;
export function versionCompare(a: string | null, b: string | null, fuzzy?: boolean): number;
export function nameValid(name: string): boolean;
export function parseDependency(spec: string): { name: string; op: number; version: string | null };
export function compress(bytes: Buffer): Buffer;
export function decompress(file: Buffer): { bytes: Buffer; compression: string };
export function parseBlocks(bytes: Buffer): { schema: number; blocks: Block[]; adb: Buffer };
export function block(type: number, ...parts: Buffer[]): Buffer;
export function keyId(key: KeyObject): Buffer;
export function signatureBlock(schema: number, adb: Buffer, privateKey: KeyObject): Buffer;
export function verifySignature(schema: number, adb: Buffer, payload: Buffer, publicKey: KeyObject): boolean;
export function resign(file: Buffer, signKeys: KeyObject[]): Buffer;
