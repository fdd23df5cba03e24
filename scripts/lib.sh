# Shared by the scripts in this folder: logging and the build step.
# shellcheck shell=bash
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
# alive PID: the process exists and has not exited (a killed process whose parent has not reaped
# it yet is a zombie: kill -0 still succeeds on it).
alive() { local state; state=$(ps -o stat= -p "$1" 2>/dev/null) && [ -n "$state" ] && [ "${state:0:1}" != Z ]; }

# build PRESET [TARGET...]: configure (once) and build with Ninja and ccache.
build() {
  local preset="$1"; shift
  if [ ! -f "$ROOT/build/$preset/build.ninja" ]; then
    say "configuring ($preset)"
    cmake --preset "$preset" -S "$ROOT" >/dev/null || die "cmake configure failed"
  fi
  say "building ($preset${*:+: $*})"
  cmake --build "$ROOT/build/$preset" ${*:+--target "$@"} || die "build failed"
}
