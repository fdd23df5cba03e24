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

# build_web: the web app's production build (type check, Vite, .gz files, the size budget) into
# web/dist, which the all-in-one and the gateway serve. Skipped when nothing in web/ changed since.
build_web() {
  local stamp="$ROOT/web/dist/.built"
  if [ -f "$stamp" ] && [ -z "$(find "$ROOT/web/src" "$ROOT/web/index.html" "$ROOT/web/public" "$ROOT/web/package-lock.json" \
      "$ROOT/web/vite.config.ts" "$ROOT/web/tsconfig.json" "$ROOT/web/package.json" "$ROOT/web/scripts" -newer "$stamp" -print -quit 2>/dev/null)" ]; then
    say "web app: up to date (web/dist)"
    return 0
  fi
  say "building the web app (web/dist)"
  (cd "$ROOT/web" && npm run --silent build) || die "web build failed"
  touch "$stamp"
}

# node_tests FILE...: Node's test runner with the spec reporter, one test file at a time (the API
# tests start servers of their own). Node 18, Debian 12's own, has no --test-concurrency: there
# each file gets a runner of its own.
node_tests() {
  if node --test-concurrency=1 -e 0 >/dev/null 2>&1; then
    node --test --test-concurrency=1 --test-reporter=spec "$@"
  else
    local status=0 file
    for file in "$@"; do node --test --test-reporter=spec "$file" || status=1; done
    return $status
  fi
}
