# t12-build-errors: the build stops with a message naming the problem: an
# unknown board, a package list whose signature does not verify, an unknown
# package, a missing host tool, a truncated download; and never leaves a
# finished-looking image behind.
. tests/system/lib.sh

out=$(make BOARD=no-such-board 2>&1) && fail "make BOARD=no-such-board succeeded"
echo "$out" | grep -q "unknown BOARD 'no-such-board'; known boards: x86_64" || fail "unclear error: $out"
pass "unknown BOARD: '$(echo "$out" | grep -o "unknown BOARD.*")'"

# A keyring that does not hold Debian's key: apt must refuse the signed lists.
mkdir -p "$T/dl"
gpg_empty=$T/empty.gpg; : > "$gpg_empty"
out=$(DL=$T/dl WAFER_KEYRING=$gpg_empty scripts/apt-fetch update 2>&1) && fail "apt-fetch accepted lists without Debian's key"
echo "$out" | grep -q "apt-fetch: apt-get update failed\|apt-fetch: apt-get update reported problems" || fail "unclear error: $out"
echo "$out" | grep -qi "NO_PUBKEY\|not signed\|signature\|keyring" || fail "error does not say why: $out"
pass "unverifiable package lists refused"

out=$(scripts/apt-fetch deb amd64 wafer-no-such-package 2>&1) && fail "apt-fetch fetched a package that does not exist"
echo "$out" | grep -q "wafer-no-such-package" || fail "error does not name the package: $out"
pass "unknown package named in the error"

# A missing host tool: mk-image must name it and leave no image.
mkdir -p "$T/bin"
for t in sh bash cp rm mkdir cat sed stat truncate dd printf head tr dirname mv; do
	p=$(command -v $t) && ln -sf "$p" "$T/bin/$t"
done
out=$(PATH=$T/bin /bin/sh image/mk-image "$T/x.img" "$B/slot" "$B/bootloaders" image/wafer.conf 2>&1) && fail "mk-image ran without its tools"
echo "$out" | grep -qE "mk-image: [a-z0-9.]+ not found \(apt-get install" || fail "error does not name the tool: $out"
[ ! -e "$T/x.img" ] || fail "an image was left behind"
pass "missing tool named: '$(echo "$out" | head -1)'"

# A truncated initramfs input: mk-image copies what it is given, but make's
# .DELETE_ON_ERROR and mk-image's write-then-rename keep a failed build from
# leaving an image: simulate a failure in the middle (mcopy of a missing file).
mkdir -p "$T/slot"; cp "$B/slot/vmlinuz" "$T/slot/"
out=$(image/mk-image "$T/y.img" "$T/slot" "$B/bootloaders" image/wafer.conf 2>&1) && fail "mk-image built an image without an initramfs"
[ ! -e "$T/y.img" ] || fail "a half-built image was left as $T/y.img"
pass "failed image build leaves no image"
