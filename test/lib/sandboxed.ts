// A scratch network namespace with the bundle's sandbox in it (lab/sandbox.ts),
// both removed when the test ends.

import type { Test } from 'tap';
import { makeNetns, type Netns } from '../../lab/netns.ts';
import { makeSandbox, type Sandbox } from '../../lab/sandbox.ts';

export function sandboxed(t: Test, tag: string): { ns: Netns; box: Sandbox } {
  const ns = makeNetns(tag);
  const box = makeSandbox(ns);
  t.teardown(() => {
    box.remove();
    ns.remove();
  });
  return { ns, box };
}
