#!/usr/bin/env bash
# Builds the pyoci provider: ./build.sh [OUT_DIR]  (default: ./out)
#
# componentize-py comes from, in order: $COMPONENTIZE_PY (a path to the
# executable), else the virtualenv $VENV (default ./.venv), created and
# filled with the pinned version when it lacks it.
# Exit status 3: componentize-py could not be installed (pip's output above).
set -euo pipefail

VERSION=0.25.1
here="$(cd "$(dirname "$0")" && pwd)"
wit="$here/../../wit/0.1.0"
out="$(mkdir -p "${1:-$here/out}" && cd "${1:-$here/out}" && pwd)"

tool="${COMPONENTIZE_PY:-}"
if [ -z "$tool" ]; then
    venv="${VENV:-$here/.venv}"
    tool="$venv/bin/componentize-py"
    if ! "$tool" --version 2>/dev/null | grep -qx "componentize-py $VERSION"; then
        [ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
        "$venv/bin/pip" install --disable-pip-version-check -q "componentize-py==$VERSION" || exit 3
    fi
fi
echo "using $("$tool" --version) ($tool)"

# Stubs of the generated modules, for editors and type checkers only;
# `componentize` generates the real ones itself.
"$tool" -q -d "$wit" -w plugin bindings "$out/bindings"

cd "$here"
start=$(date +%s)
"$tool" -q -d "$wit" -w plugin componentize app -o "$out/pyoci.wasm"
echo "built $out/pyoci.wasm ($(wc -c <"$out/pyoci.wasm") bytes) in $(( $(date +%s) - start )) s"
