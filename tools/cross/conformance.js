// What a cross-built qjs must answer exactly as the host's build/qjs does
// (tools/cross/conformance.sh runs both and compares every line): number
// formatting, soft-float arithmetic, DataView and typed arrays, Date and
// files past 2038 and 2 GiB. Also checks the answers ECMAScript fixes
// (lines "FAIL ..."; exit 1), so a wrong host is caught too.
//   qjs --std tools/cross/conformance.js DIR
// DIR: an empty scratch directory holding only "mtime-2040", a file whose
// mtime is 2040-07-01T00:00:00Z; this script makes a 3 GiB sparse file
// there (few blocks). Run with TZ=CET-1CEST,M3.5.0,M10.5.0/3 (an OpenWrt
// /etc/TZ string): local time in 2040 needs a 64-bit time_t.
// Written for QuickJS 2021-03-27 (ES2020).

const dir = scriptArgs[1];
if (!dir) throw new Error('usage: qjs --std conformance.js DIR');
let failed = 0;

function out(key, value) {
  print(`${key} = ${value}`);
}

// a value that ECMAScript (or the fixture) fixes: printed, and checked
function want(key, value, expected) {
  out(key, value);
  if (value !== expected) {
    failed++;
    print(`FAIL ${key}: got ${value}, expected ${expected}`);
  }
}

// ---- byte order: the one line that may differ from the host's (the
// harness compares it with the architecture's) ----
const native = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 'little' : 'big';
print(`byte order: ${native}`);
const nativeLittle = native === 'little';

// QuickJS 2021-03-27, our floor (as tools/qjs.sh checks build/qjs)
out('floor: typeof Array.prototype.at', typeof Array.prototype.at);

// ---- number formatting: ECMAScript's answers ----
// Number::toString, toFixed, toPrecision, toExponential: exact halfway
// values round away from zero (ECMA-262 "pick the larger n"), on the
// magnitude (a negative number is "-" and its negation's digits).
const spec = [
  ['(0.5).toFixed(0)', '1'],
  ['(1.5).toFixed(0)', '2'],
  ['(2.5).toFixed(0)', '3'],
  ['(-0.5).toFixed(0)', '-1'],
  ['(-2.5).toFixed(0)', '-3'],
  ['(0.125).toFixed(2)', '0.13'],
  ['(0.375).toFixed(2)', '0.38'],
  ['(-0.125).toFixed(2)', '-0.13'],
  ['(1.25).toFixed(1)', '1.3'],
  ['(9.5).toFixed(0)', '10'],
  ['(99.5).toFixed(0)', '100'],
  ['(-9.5).toFixed(0)', '-10'],
  ['(9.96875).toFixed(4)', '9.9688'],
  ['(999.9375).toFixed(3)', '999.938'],
  ['(1280 / 1024).toFixed(1)', '1.3'], // 1280 B as KiB
  ['(1.005).toFixed(2)', '1.00'], // 1.00499999999999989...
  ['(1.45).toFixed(1)', '1.4'], // 1.44999999999999995...
  ['(1.55).toFixed(1)', '1.6'], // 1.55000000000000004...
  ['(4503599627370495.5).toFixed(0)', '4503599627370496'],
  ['(0.000001).toFixed(7)', '0.0000010'],
  ['(123.456).toFixed(10)', '123.4560000000'],
  ['(1e21).toFixed(2)', '1e+21'],
  ['(-0.4).toFixed(0)', '-0'],
  ['(-0).toFixed(2)', '0.00'],
  ['(0.5).toPrecision(1)', '0.5'],
  ['(2.5).toPrecision(1)', '3'],
  ['(0.125).toPrecision(2)', '0.13'],
  ['(-0.125).toPrecision(2)', '-0.13'],
  ['(99.5).toPrecision(2)', '1.0e+2'],
  ['(125).toPrecision(2)', '1.3e+2'],
  ['(2.5e21).toPrecision(1)', '3e+21'], // 5^22 * 2^20: a tie 21 places left of the point
  ['(1.5e22).toPrecision(1)', '2e+22'], // 3 * 5^22 * 2^21
  ['(1.25).toPrecision(2)', '1.3'],
  ['(123.456).toPrecision(4)', '123.5'],
  ['(0.000001234).toPrecision(2)', '0.0000012'],
  ['(1e-7).toPrecision(1)', '1e-7'],
  ['(2.5).toExponential(0)', '3e+0'],
  ['(-2.5).toExponential(0)', '-3e+0'],
  ['(12.5).toExponential(1)', '1.3e+1'],
  ['(0.375).toExponential(1)', '3.8e-1'],
  ['(1.5e300).toExponential(0)', '2e+300'],
  ['(123456).toExponential(2)', '1.23e+5'],
  ['(123456).toExponential()', '1.23456e+5'],
  ['(0.1 + 0.2).toString()', '0.30000000000000004'],
  ['(1 / 3).toString()', '0.3333333333333333'],
  ['(5e-324).toString()', '5e-324'],
  ['(1.7976931348623157e308).toString()', '1.7976931348623157e+308'],
  ['(2 ** 53).toString()', '9007199254740992'],
  ['(1e21).toString()', '1e+21'],
  ['(123e-20).toString()', '1.23e-18'],
  ['(0.000001).toString()', '0.000001'],
  ['(1e-7).toString()', '1e-7'],
  ['(255).toString(16)', 'ff'],
  ['(-255).toString(2)', '-11111111'],
  ['Number("0.1") * 3', '0.30000000000000004'],
  ['parseFloat("2.2250738585072011e-308")', '2.225073858507201e-308'],
  ['Number("9007199254740993")', '9007199254740992'], // halfway: to even
  ['Number("1e400")', 'Infinity'],
  ['String(-1e-7)', '-1e-7'],
  ['JSON.stringify([0.1, -0, 1e21, 5e-324])', '[0.1,0,1e+21,5e-324]'],
  ['Math.round(2.5) + "," + Math.round(-2.5) + "," + Math.round(0.49999999999999994)', '3,-2,0'],
  ['Math.sqrt(2)', '1.4142135623730951'],
  ['Math.fround(1.1)', '1.100000023841858'],
  ['Math.pow(2, -1074)', '5e-324'],
  ['(2 ** 31) | 0', '-2147483648'],
  ['(2 ** 32 + 5) >>> 0', '5'],
  ['(-1.5e10) | 0', '-2115098112'],
  ['BigInt(2 ** 60) * 3n + 1n', '3458764513820540929'],
  ['Number(2n ** 64n - 1n)', '18446744073709552000'],
  ['BigInt.asIntN(64, 2n ** 63n)', '-9223372036854775808'],
];
for (const [expr, expected] of spec) want(`spec ${expr}`, String((0, eval)(expr)), expected);

// ---- number formatting: exact halfway values and their neighbours,
// compared with the host ----
for (let k = 0; k < 40; k++) {
  const x = k + 0.5;
  out(`half ${x}`, [x.toFixed(0), (-x).toFixed(0), x.toPrecision(String(k).length), x.toExponential(String(k).length - 1)].join(' '));
}
// i / 2^j (i odd): exactly j decimals, the last a 5
for (let j = 1; j <= 12; j++) {
  const step = j < 6 ? 1 : 2 ** (j - 6) + 1;
  for (let i = 1; i < 2 ** j; i += 2 * step) {
    for (const s of [1, -1, 1000, 1e6, 1 / 1024]) {
      const x = (s * i) / 2 ** j;
      out(`tie ${i}/2^${j}*${s}`, [x.toFixed(j - 1), x.toFixed(j), x.toPrecision(Math.min(21, j)), x.toExponential(Math.min(20, j)), x.toExponential(Math.max(0, j - 2))].join(' '));
    }
  }
}

// a deterministic generator (xorshift32; no Math.random)
let seed = 0x2545f491;
function rnd() {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return seed >>> 0;
}
// doubles of every size: 53 random bits times a power of two, and decimals
// with few digits (the values people format, near a tie in binary)
const values = [];
for (let i = 0; i < 150; i++) {
  const m = rnd() * 2 ** 21 + (rnd() >>> 11);
  values.push(m * 2 ** ((rnd() % 200) - 150));
}
for (let i = 0; i < 150; i++) values.push(((rnd() % 2000000) - 1000000) / 10 ** (rnd() % 8));
for (let i = 0; i < 30; i++) values.push(rnd() * 2 ** ((rnd() % 2000) - 1000));
values.push(0, -0, 1e21, 999999999999999900000, 1e-7, 123e-7, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, NaN, Infinity, -Infinity);
for (const x of values) {
  const f = rnd() % 21;
  const p = 1 + (rnd() % 21);
  out(`fmt ${x}`, [String(x), x.toFixed(f), x.toPrecision(p), x.toExponential(f), x.toExponential(), x.toFixed(100 - f).slice(-30), x.toPrecision(100).slice(0, 40), Number(x.toPrecision(17)) === x || x !== x].join(' '));
}
for (const x of values.slice(0, 40)) {
  if (isFinite(x)) out(`radix ${x}`, [2, 3, 7, 16, 36].map((r) => x.toString(r).slice(0, 60)).join(' '));
}
for (let i = 0; i < 200; i++) {
  // strtod: decimal strings of 1-25 digits and any exponent
  let s = '';
  const n = 1 + (rnd() % 25);
  for (let k = 0; k < n; k++) s += rnd() % 10;
  s += `e${(rnd() % 640) - 340}`;
  out(`parse ${s}`, `${Number(s)} ${parseFloat(`0.${s}`)}`);
}

// ---- arithmetic (MIPS: libgcc's soft-fp; ARM: VFP) ----
for (let i = 0; i + 1 < values.length; i += 2) {
  const a = values[i];
  const b = values[i + 1];
  out(`arith ${a} ${b}`, [a + b, a - b, a * b, a / b, a % b, Math.sqrt(Math.abs(a)), Math.fround(a), Math.floor(a), Math.ceil(b), Math.trunc(a), Math.round(b), a | 0, b >>> 0, a < b, a === b, Math.max(a, b), Math.min(a, b), Math.abs(b), Math.sign(a)].join(' '));
  if (Number.isSafeInteger(Math.trunc(a))) out(`bigint ${a}`, [BigInt(Math.trunc(a)), BigInt(Math.trunc(a)) * 12345678901n, Number(BigInt(Math.trunc(a)) * 3n)].join(' '));
}

// ---- DataView: both byte orders, every type ----
const hex = (u8) => Array.from(u8, (b) => b.toString(16).padStart(2, '0')).join('');
const dvTypes = [
  ['Int8', 1, -100], ['Uint8', 1, 200], ['Int16', 2, -12345], ['Uint16', 2, 0xabcd],
  ['Int32', 4, -123456789], ['Uint32', 4, 0xdeadbeef], ['Float32', 4, 1.5e-3], ['Float64', 8, -1.2345678901234567e89],
  ['BigInt64', 8, -1234567890123456789n], ['BigUint64', 8, 0xfedcba9876543210n],
];
for (const [type, size, v] of dvTypes) {
  for (const le of [false, true]) {
    const buf = new ArrayBuffer(size + 3);
    const dv = new DataView(buf, 1);
    dv[`set${type}`](1, v, le);
    const back = dv[`get${type}`](1, le);
    const other = dv[`get${type}`](1, !le);
    // written in the order asked for, whatever the CPU's
    out(`DataView ${type} ${le ? 'LE' : 'BE'}`, `${hex(new Uint8Array(buf))} ${back} ${other}`);
  }
}
{
  const dv = new DataView(new ArrayBuffer(8));
  dv.setUint32(0, 0x01020304);
  want('DataView setUint32 default (big-endian) bytes', hex(new Uint8Array(dv.buffer, 0, 4)), '01020304');
  dv.setUint16(4, 0x0506, true);
  want('DataView setUint16 little-endian bytes', hex(new Uint8Array(dv.buffer, 4, 2)), '0605');
  want('DataView getFloat64 BE of 3ff8000000000000', String(new DataView(new Uint8Array([0x3f, 0xf8, 0, 0, 0, 0, 0, 0]).buffer).getFloat64(0)), '1.5');
  want('DataView getFloat64 LE of 000000000000f83f', String(new DataView(new Uint8Array([0, 0, 0, 0, 0, 0, 0xf8, 0x3f]).buffer).getFloat64(0, true)), '1.5');
}

// ---- typed arrays: the CPU's byte order, the same as DataView's ----
{
  // bytes as little-endian: the host's answer on either CPU
  const asLE = (ta) => {
    const u8 = new Uint8Array(ta.buffer, ta.byteOffset, ta.byteLength);
    const n = ta.BYTES_PER_ELEMENT;
    const res = [];
    for (let i = 0; i < u8.length; i += n) {
      const el = Array.from(u8.subarray(i, i + n));
      res.push(hex(nativeLittle ? el : el.reverse()));
    }
    return res.join(' ');
  };
  const arrays = [
    new Int16Array([1, -2, 0x1234]), new Uint32Array([0x01020304, 0xfffffffe]), new Float32Array([1.5, -0.1, 3e38]),
    new Float64Array([Math.PI, -0, 5e-324]), new BigInt64Array([-2n, 0x0102030405060708n]), new BigUint64Array([2n ** 64n - 1n]),
  ];
  for (const ta of arrays) out(`${ta.constructor.name} bytes (as LE)`, asLE(ta));
  const u32 = new Uint32Array([0x11223344, 0x55667788]);
  const dv = new DataView(u32.buffer);
  want('Uint32Array element = DataView get in the CPU order', `${dv.getUint32(4, nativeLittle).toString(16)}`, '55667788');
  const f64 = new Float64Array(1);
  new DataView(f64.buffer).setFloat64(0, -2.5, nativeLittle);
  want('DataView set in the CPU order = Float64Array element', String(f64[0]), '-2.5');
  const u8 = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
  const u16 = new Uint16Array(u8.buffer);
  const u16le = Array.from(u16, (x) => (nativeLittle ? x : ((x & 0xff) << 8) | (x >> 8)).toString(16));
  want('Uint16Array over bytes 1..8 (as LE)', u16le.join(','), '201,403,605,807');
  // conversions between element types, overlapping copies, sort, Atomics
  const f = new Float64Array([3.7, -1.2, 1e10, -0, NaN, 255.5, 65536.9, -(2 ** 31) - 1]);
  out('conversions', [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array].map((C) => Array.from(new C(f)).join(',')).join(' | '));
  // the source is read before it is overwritten (elements 1, 2 of u16
  // are bytes 2-5, inside i32's 0-7)
  const i32 = new Int32Array([0x12345678, -2]);
  const ov = new Uint16Array(i32.buffer);
  ov.set(i32, 1);
  want('overlapping set Int32Array -> Uint16Array', `${ov[1].toString(16)} ${ov[2].toString(16)}`, '5678 fffe');
  out('Float64Array sort', Array.from(new Float64Array([3, -0, NaN, -Infinity, 0, 1e-300, -5]).sort()).join(','));
  out('Int32Array copyWithin/fill/reverse', Array.from(new Int32Array([1, 2, 3, 4, 5, 6]).copyWithin(0, 3).fill(-7, 4).reverse()).join(','));
  const ai = new Int32Array(new SharedArrayBuffer(8));
  Atomics.add(ai, 0, 0x7fffffff);
  Atomics.add(ai, 0, 2);
  Atomics.or(ai, 1, 0x0f0f);
  const ab = new BigInt64Array(new SharedArrayBuffer(16));
  Atomics.store(ab, 0, 2n ** 62n);
  Atomics.add(ab, 0, 2n ** 62n);
  Atomics.compareExchange(ab, 1, 0n, -5n);
  out('Atomics', [Atomics.load(ai, 0), Atomics.load(ai, 1), Atomics.load(ab, 0), Atomics.exchange(ab, 1, 7n), Atomics.load(ab, 1)].join(' '));
  out('ArrayBuffer slice', hex(new Uint8Array(new Float32Array([1, 2, 3]).buffer.slice(2, 10))).length);
}

// ---- Date past 2038 (with the TZ above: +01:00 in winter, +02:00 in summer) ----
{
  const summer2040 = new Date(2040, 6, 1, 12, 0, 0);
  want('Date 2040-07-01 12:00 local, as UTC', summer2040.toISOString(), '2040-07-01T10:00:00.000Z');
  want('getTimezoneOffset 2040-07', summer2040.getTimezoneOffset(), -120);
  want('getTimezoneOffset 2040-01', new Date(2040, 0, 15).getTimezoneOffset(), -60);
  want('getTimezoneOffset 2100-08', new Date(2100, 7, 1).getTimezoneOffset(), -120);
  want('getTimezoneOffset 2038-01-19 03:14:08Z', new Date(Date.UTC(2038, 0, 19, 3, 14, 8)).getTimezoneOffset(), -60);
  want('getTimezoneOffset 1999-07', new Date(1999, 6, 1).getTimezoneOffset(), -120);
  want('Date.UTC 2040-07-01', Date.UTC(2040, 6, 1), 2224713600000);
  want('Date.UTC 2106-02-07 06:28:16 (2^32 s)', Date.UTC(2106, 1, 7, 6, 28, 16), 4294967296000);
  want('Date.parse local 2040-07-01T12:00:00', Date.parse('2040-07-01T12:00:00'), 2224749600000);
  want('Date.parse 2040-07-01T12:00:00Z', Date.parse('2040-07-01T12:00:00Z'), 2224756800000);
  out('Date 2040 toString', summer2040.toString());
  out('Date 2040 getters', [summer2040.getFullYear(), summer2040.getMonth(), summer2040.getDate(), summer2040.getDay(), summer2040.getHours(), summer2040.getUTCHours()].join(' '));
  out('Date 2040 setters', new Date(new Date(2039, 11, 31, 23, 59).setMinutes(61)).toString());
  out('Date 8.64e15', `${new Date(8.64e15).toISOString()} ${new Date(-8.64e15).toISOString()} ${new Date(8.64e15 + 1).getTime()}`);
  out('Date 2040 toUTCString toDateString', `${summer2040.toUTCString()} | ${summer2040.toDateString()} | ${summer2040.toTimeString()}`);
  out('Date 1901', new Date(1901, 0, 1).toString());
  want('Date.now() after 2020', Date.now() > Date.UTC(2020, 0, 1), true);
}

// ---- files: mtime in 2040, times past 2^32 s, sizes past 2 GiB ----
{
  const [st, err] = os.stat(`${dir}/mtime-2040`);
  want('os.stat mtime-2040: error', err, 0);
  want('os.stat mtime-2040: mtime', st && st.mtime, Date.UTC(2040, 6, 1));

  const f = `${dir}/utimes`;
  std.open(f, 'w').close();
  want('os.utimes 2106 (atime), 2040 (mtime)', os.utimes(f, Date.UTC(2106, 1, 7, 6, 28, 17), Date.UTC(2040, 1, 29, 12, 34, 56)), 0);
  const [st2] = os.stat(f);
  want('os.stat after utimes: atime', st2 && st2.atime, Date.UTC(2106, 1, 7, 6, 28, 17));
  want('os.stat after utimes: mtime', st2 && st2.mtime, Date.UTC(2040, 1, 29, 12, 34, 56));

  const big = `${dir}/sparse-3GiB`;
  const size = 3 * 2 ** 30;
  const fd = os.open(big, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644);
  want('os.open sparse file', fd >= 0, true);
  want('os.seek to 3 GiB', os.seek(fd, size, std.SEEK_SET), size);
  want('os.write 1 byte at 3 GiB', os.write(fd, new Uint8Array([0x5a]).buffer, 0, 1), 1);
  want('os.seek (BigInt) to 3 GiB', os.seek(fd, BigInt(size), std.SEEK_SET), BigInt(size));
  os.close(fd);
  const [st3, err3] = os.stat(big);
  want('os.stat 3 GiB: error', err3, 0);
  want('os.stat 3 GiB: size', st3 && st3.size, size + 1);
  const [st4, err4] = os.lstat(big);
  want('os.lstat 3 GiB: size', err4 === 0 && st4.size, size + 1);
  const file = std.open(big, 'r');
  want('std.open 3 GiB', file !== null, true);
  if (file) {
    want('FILE.seek to 3 GiB', file.seek(size, std.SEEK_SET), 0);
    want('FILE.tell', file.tell(), size);
    want('FILE.getByte at 3 GiB', file.getByte(), 0x5a);
    want('FILE.tello (BigInt) at EOF', file.tello(), BigInt(size + 1));
    file.close();
  }
  const rfd = os.open(big, os.O_RDONLY);
  const b = new Uint8Array(4);
  want('os.seek SEEK_END', os.seek(rfd, -2, std.SEEK_END), size - 1);
  want('os.read across 3 GiB', `${os.read(rfd, b.buffer, 0, 4)} ${hex(b)}`, '2 005a0000');
  os.close(rfd);
  want('os.remove 3 GiB', os.remove(big), 0);
}

if (failed) {
  print(`${failed} FAILED`);
  std.exit(1);
}
print('conformance.js: done');
