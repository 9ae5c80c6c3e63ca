// doctor's unused-protocol audit: an allowed protocol that no LAN client
// used for `unused_days`, judged on the usage record (core/usage.ts).

import { modeOf, type Config } from './config.ts';
import type { Check } from './doctor.ts';
import { PROTOCOLS, partsOf } from './protocols.ts';
import { formatSpan } from './timed.ts';
import { DAY, describeLastUse, type UsageRecord } from './usage.ts';

/**
 * doctor: each allowed protocol that no LAN client used for `config.unusedDays`
 * is named with the command that blocks it. Only claimed once the record is
 * that old; a timed allow ends by itself and is left out.
 */
export function auditUsage(config: Config, record: UsageRecord | null): Check[] {
  if (record === null) return [];
  const days = config.unusedDays;
  const allowed = PROTOCOLS.filter((p) => config.protocols[p.name].until === null && partsOf(p.name).some((part) => modeOf(config, part) === 'allow'));
  const unused = allowed.filter((p) => !record.protocols[p.name].some((u) => u.ago < days * DAY));
  const checks: Check[] = [];
  if (record.age >= days * DAY) {
    for (const p of unused) {
      const last = describeLastUse(record.protocols[p.name]);
      const idle = last ? record.protocols[p.name][0].ago : record.age;
      checks.push({
        id: 'unused',
        verdict: 'warn',
        summary: `${p.title} allowed, not used for ${Math.floor(idle / DAY)} days${last ? ` (last: ${last})` : ' by any LAN client'}: block it?`,
        fix: `vpn-passthrough set ${p.name} block`,
      });
    }
  } else if (unused.length > 0) {
    checks.push({
      id: 'unused',
      verdict: 'info',
      summary: `${unused.map((p) => p.title).join(', ')} not used in the ${formatSpan(record.age)} recorded so far (the record begins anew at boot and when the table is removed); judged after ${days} days`,
    });
  }
  if (unused.length === 0 && allowed.length > 0) {
    checks.push({ id: 'unused', verdict: 'ok', summary: `every allowed protocol was used in the last ${days} days, or since the record began ${formatSpan(record.age)} ago` });
  }
  return checks;
}
