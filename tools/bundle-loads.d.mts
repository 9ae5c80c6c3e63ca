export const COMMANDS: Record<string, string[]>;
export function bundleLoads(metaPath?: string): {
  total: number;
  files: number;
  commands: { name: string; files: number; bytes: number }[];
};
