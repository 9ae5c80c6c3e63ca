// The translations as the tests see them: the languages the LuCI app's feed
// Makefile packages (LANGUAGES, each under LuCI's code for it: LANG_ALIAS,
// as luci.mk's LUCI_LC_ALIAS) and the packages they make.

import { readFileSync } from 'node:fs';
import { ROOT } from './paths.ts';

const makefile = readFileSync(`${ROOT}openwrt/luci-app-vpn-passthrough/Makefile`, 'utf8');
const value = (name: string) => new RegExp(`^${name.replace(/\./g, '\\.')}:=(.*)$`, 'm').exec(makefile)?.[1];

export interface Language { po: string; code: string; title: string; pkg: string }

/** Each language: its luci/po/ directory, LuCI's code, the name LuCI shows, its package. */
export const LANGUAGES: Language[] = value('LANGUAGES')!.split(/\s+/).map((po) => {
  const code = value(`LANG_ALIAS.${po}`) ?? po;
  return { po, code, title: value(`LANG_TITLE.${po}`)!, pkg: `luci-i18n-vpn-passthrough-${code}` };
});

export const PO = (l: Language) => `${ROOT}luci/po/${l.po}/vpn-passthrough.po`;
export const POT = `${ROOT}luci/po/templates/vpn-passthrough.pot`;
