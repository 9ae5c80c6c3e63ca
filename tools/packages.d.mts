// Types for tools/packages.mjs (used by the tests).

export type FileSource = string | { text: string };
export interface Package {
  name: string;
  version: string;
  apkVersion: string;
  source: string;
  sourceName: string;
  title: string;
  depends: string[];
  description: string[];
  scripts: Record<string, string>;
  /** [source, target, mode], sorted by target. */
  files: [FileSource, string, number][];
  language?: { po: string; code: string };
}
export function fileBytes(source: FileSource): Buffer;
export function readPackage(name: string): Package;
export function readTranslations(dir?: string): Package[];
export const PACKAGES: Package[];
