#!/bin/sh
# Link a freestanding image (the hypervisor, a domain) and prove it is self-contained:
# every symbol it uses is defined by our own objects or libfdt, none by libgcc or a libc.
#
#   mk/link-selfcontained.sh NM OUTPUT LINK-COMMAND...
#
# runs "LINK-COMMAND... -o OUTPUT". The command must not name -lgcc or -lc. Then it checks
# that "NM -u OUTPUT" is empty, which also catches undefined weak references (those link
# silently as address 0). The usual culprits are compiler-support calls GCC emits on
# its own: __bswapsi2/__bswapdi2 for __builtin_bswap* without Zbb, __atomic_*_1/_2 for
# sub-word atomic read-modify-writes on RISC-V with GCC 12, __udivti3 and friends for
# 128-bit arithmetic. Write the code so that GCC inlines it instead (docs/build.md).
set -u
nm=$1
out=$2
shift 2

explain() {
    echo "link-check: $out needs symbols that nothing in the tree defines: $1" >&2
    echo "link-check: images link no libgcc; write the code so that the compiler inlines" >&2
    echo "link-check: it (see docs/build.md, \"Self-contained images\")" >&2
}

if ! log=$("$@" -o "$out" 2>&1); then
    printf '%s\n' "$log" >&2
    syms=$(printf '%s\n' "$log" | sed -n "s/.*undefined reference to \`\([^']*\)'.*/\1/p" |
        sort -u | tr '\n' ' ')
    [ -n "$syms" ] && explain "$syms"
    rm -f "$out"
    exit 1
fi
[ -n "$log" ] && printf '%s\n' "$log" >&2
undef=$("$nm" -u "$out" | awk '{ print $NF }' | tr '\n' ' ')
if [ -n "$undef" ]; then
    explain "$undef"
    rm -f "$out"
    exit 1
fi
exit 0
