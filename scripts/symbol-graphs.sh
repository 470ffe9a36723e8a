# Sourced by scripts/docs.sh and scripts/test-core.sh: the build folder whose builds also
# write each module's symbol graph (for DocC), and the flags that make the compiler write them.
# test-core.sh builds the LXD side there with liblxc hidden; docs.sh then finds LXD built.
symbol_build=.build-docs
symbol_graphs="$symbol_build/symbol-graphs"
symbol_flags=(-Xswiftc -emit-symbol-graph -Xswiftc -emit-symbol-graph-dir -Xswiftc "$PWD/$symbol_graphs"
              -Xswiftc -symbol-graph-minimum-access-level -Xswiftc public)
mkdir -p "$symbol_graphs"
