#!/bin/sh
# Builds the reference QuickJS (2021-03-27, our floor) from the source that
# the npm package qjsc ships, into build/qjs. Cached: rebuilt only if missing.
set -eu
QJSC_VERSION=0.3.0
QJSC_SHA256=4a9ed1852b334d842d5dac42d1782817ae26310b448de39532451fd45c9ba0ee
out=build/qjs
[ -x "$out" ] && exit 0
work=build/qjsc-src
rm -rf "$work" && mkdir -p "$work"
(cd "$work" && npm pack --silent "qjsc@$QJSC_VERSION" >/dev/null 2>&1)
tarball="$work/qjsc-$QJSC_VERSION.tgz"
echo "$QJSC_SHA256  $tarball" | sha256sum -c --quiet
tar -xzf "$tarball" -C "$work" package/deps/quickjs_2021_03_27
src="$work/package/deps/quickjs_2021_03_27"
echo "building QuickJS $(cat "$src/VERSION") (about a minute)..."
make -C "$src" -j"$(nproc)" qjs >"$work/build.log" 2>&1 || { tail -20 "$work/build.log"; exit 1; }
cp "$src/qjs" "$out"
"$out" -e 'if (typeof Array.prototype.at !== "undefined") throw new Error("not the 2021-03-27 floor")'
echo "$out: QuickJS $(cat "$src/VERSION")"
