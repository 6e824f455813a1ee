# Sourced by .ci/run (and usable by hand: `. .ci/toolchain.sh`): puts Node 24 and pnpm on PATH.
# The machine's own Node may be older (Node 20 is end-of-life); Node 24 then comes from the npm
# registry's `node` package, installed into .tools/ beside the checkout, with pnpm beside it.
NODE_VERSION="$(cat .node-version)"
PNPM_VERSION="$(sed -n 's/.*"packageManager": "pnpm@\([0-9.]*\)+.*/\1/p' package.json)"
TOOLS="$PWD/.tools"

# The machine's Node will do if it has .node-version's major (or a later one), as engines says.
machine_major="$(node --version 2>/dev/null | sed 's/^v\([0-9]*\).*/\1/')"
wanted=("pnpm@$PNPM_VERSION")
[ "${machine_major:-0}" -ge "${NODE_VERSION%%.*}" ] || wanted+=("node@$NODE_VERSION")

have_all=1
[ "$("$TOOLS/node_modules/.bin/pnpm" --version 2>/dev/null)" = "$PNPM_VERSION" ] || have_all=0
if [ "${#wanted[@]}" -gt 1 ] && [ "$("$TOOLS/node_modules/.bin/node" --version 2>/dev/null)" != "v$NODE_VERSION" ]; then
  have_all=0
fi
if [ "$have_all" = 0 ]; then
  echo "== installing ${wanted[*]} into $TOOLS (machine node: $(node --version 2>/dev/null || echo none))"
  rm -rf "$TOOLS" && mkdir -p "$TOOLS"
  npm install --prefix "$TOOLS" --no-audit --no-fund --loglevel=error "${wanted[@]}"
fi
export PATH="$TOOLS/node_modules/.bin:$PATH"
export COREPACK_ENABLE_DOWNLOAD_PROMPT=0
