#!/bin/sh
# Does a cross-built qjs answer as the host's build/qjs (QuickJS 2021-03-27
# built natively, upstream's source unpatched) does? Runs both, the cross
# one under qemu-user as the router's CPU (tools/cross/arch.sh), on:
# - tools/cross/conformance.js: number formatting, soft-float arithmetic,
#   DataView and typed arrays, Date and files past 2038 and 2 GiB; every
#   line must be the host's, but "byte order:", which must be the arch's;
# - the REPL (qjs with no script reads stdin), and qjscalc (qjs --qjscalc):
#   their bytecode is compiled into qjs in the target's byte order;
# and also runs the bundle's `self-check`.
#   sh tools/cross/conformance.sh ARCH [QJS]   (QJS: build/cross/ARCH/qjs)
# Prints one line per check; exit 1 with the differences when one fails.
set -eu
[ -f tools/cross/arch.sh ] || { echo "conformance.sh: run from the repository root" >&2; exit 2; }
. ./tools/cross/arch.sh
arch=${1:?usage: sh tools/cross/conformance.sh ARCH [QJS]}
target "$arch"
qjs=${2:-build/cross/$arch/qjs}
host=build/qjs
[ -x "$qjs" ] || { echo "conformance.sh: no $qjs" >&2; exit 2; }
[ -x "$host" ] || { echo "conformance.sh: no $host (make)" >&2; exit 2; }
if [ -n "$qemu" ] && ! command -v "${qemu%% *}" >/dev/null; then
	echo "conformance.sh: ${qemu%% *} not installed (tools/cross/deps.sh)" >&2
	exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/qjs-conformance.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
# OpenWrt's /etc/TZ for Europe/Berlin: summer time in 2040 is only right
# with a 64-bit time_t
TZ=CET-1CEST,M3.5.0,M10.5.0/3
export TZ
failed=0

# run SIDE PROGRAM... : stdout to $tmp/SIDE.out, status to $tmp/SIDE.rc
run() {
	side=$1
	shift
	set +e
	timeout 300 "$@" >"$tmp/$side.out" 2>"$tmp/$side.err"
	echo $? >"$tmp/$side.rc"
	set -e
}

# same NAME: compares $tmp/host.* and $tmp/target.*
same() {
	if [ "$(cat "$tmp/target.rc")" = "$(cat "$tmp/host.rc")" ] && cmp -s "$tmp/host.out" "$tmp/target.out"; then
		echo "ok: $1: $(wc -l <"$tmp/host.out") lines as build/qjs"
	else
		failed=1
		echo "FAILED: $1: not as build/qjs (exit $(cat "$tmp/target.rc"), build/qjs $(cat "$tmp/host.rc"))"
		# the REPL's colours and cursor moves left out, long lines cut
		diff -u "$tmp/host.out" "$tmp/target.out" | sed -n '3,80p' | sed 's/\x1b\[[0-9;]*[A-Za-z]//g' | cut -c1-240
		sed -n '1,20p' "$tmp/target.err"
	fi
}

# conformance.js, each side in its own directory holding a file dated
# 2040-07-01T00:00:00Z (2224713600)
for side in host target; do
	mkdir "$tmp/$side.dir"
	touch -d @2224713600 "$tmp/$side.dir/mtime-2040"
done
run host "$host" --std tools/cross/conformance.js "$tmp/host.dir"
# shellcheck disable=SC2086
run target $qemu "$qjs" --std tools/cross/conformance.js "$tmp/target.dir"
order=$(sed -n 's/^byte order: //p' "$tmp/target.out")
if [ "$order" = "$endian" ]; then
	echo "ok: byte order: $order"
else
	failed=1
	echo "FAILED: byte order: '$order', $arch is $endian-endian"
fi
sed -i '/^byte order: /d' "$tmp/host.out" "$tmp/target.out"
# build/qjs must get through it (then "done" ends its output), right
if [ "$(cat "$tmp/host.rc")" != 0 ] || [ "$(tail -1 "$tmp/host.out")" != "conformance.js: done" ]; then
	failed=1
	echo "FAILED: build/qjs itself fails conformance.js (exit $(cat "$tmp/host.rc"))"
	grep '^FAIL' "$tmp/host.out" | head -20
	sed -n '1,20p' "$tmp/host.err"
fi
same "conformance.js (numbers, DataView, typed arrays, Date, files)"

# the REPL on stdin, and qjscalc (\q quits: at the end of a piped stdin
# QuickJS 2021-03-27's REPL would wait forever)
repl='1+1
[0.5.toFixed(0), 1.25.toFixed(1), 2.5.toPrecision(1)]
"caf\u00e9 \u03c0 \ud83d\ude00".length
new DataView(new Uint8Array([1, 2]).buffer).getUint16(0)
typeof std
Math.PI
\q
'
printf '%s' "$repl" >"$tmp/repl.in"
run host "$host" <"$tmp/repl.in"
# shellcheck disable=SC2086
run target $qemu "$qjs" <"$tmp/repl.in"
same "REPL (qjs reading stdin)"
printf '%s' '1/3
2^100
exp(1)
sqrt(2)
\q
' >"$tmp/calc.in"
run host "$host" --qjscalc <"$tmp/calc.in"
# shellcheck disable=SC2086
run target $qemu "$qjs" --qjscalc <"$tmp/calc.in"
same "qjscalc (qjs --qjscalc)"

# the bundle's self-check (as the package's tests do)
if [ -f dist/vpn-passthrough.js ]; then
	# shellcheck disable=SC2086
	run target $qemu "$qjs" --std -m dist/vpn-passthrough.js self-check
	if [ "$(cat "$tmp/target.rc")" = 0 ] && grep -q '^self-check ok' "$tmp/target.out"; then
		echo "ok: self-check"
	else
		failed=1
		echo "FAILED: self-check (exit $(cat "$tmp/target.rc"))"
		cat "$tmp/target.out" "$tmp/target.err" | sed -n '1,20p'
	fi
fi

[ "$failed" = 0 ] || { echo "$arch: $qjs does not answer as build/qjs" >&2; exit 1; }
echo "$arch: $qjs answers as build/qjs${qemu:+ under $qemu}"
