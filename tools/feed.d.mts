// Types for tools/feed.mjs (used by the tests).
export function readUsignSecret(text: string): { fingerprint: Buffer; seed: Buffer; pub: Buffer };
export function usignSign(message: Buffer, secretText: string): string;
export function usignPublic(secretText: string): { fingerprint: string; text: string };
export function usignGenerate(): { secret: string; public: { fingerprint: string; text: string } };
export function ipkControl(ipk: Buffer): string;
export function opkgIndex(ipks: { name: string; bytes: Buffer }[]): string;
export function buildFeed(o?: { dist?: string; out?: string; keyApk?: string; keyUsign?: string }): string[];
