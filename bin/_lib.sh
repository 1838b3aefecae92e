# Shared steps for bin/serve and bin/test: find Python 3.12+, keep .venv in step with pyproject.toml.
# Sourced, not run.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

python_ok() { "$@" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }

find_python() {
  # $PYTHON wins; then any python3.12+ on PATH; then a pyenv-installed 3.12/3.13.
  local candidate
  for candidate in ${PYTHON:-} python3.13 python3.12 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && python_ok "$candidate"; then
      command -v "$candidate"; return 0
    fi
  done
  if command -v pyenv >/dev/null 2>&1; then
    local version
    for version in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.(1[2-9])' | sort -rV); do
      candidate="$(pyenv root)/versions/$version/bin/python3"
      if [ -x "$candidate" ] && python_ok "$candidate"; then echo "$candidate"; return 0; fi
    done
  fi
  echo "envmanager needs Python 3.12 or newer; none found. Install python3.12 (apt-get install python3) or set PYTHON=/path/to/python3.12." >&2
  return 1
}

ensure_venv() {
  # $1: the optional-dependency group to install as well ("test"), or nothing.
  local extras="${1:-}" spec="$ROOT" stamp
  [ -n "$extras" ] && spec="$ROOT[$extras]"
  stamp="$(cat "$ROOT/pyproject.toml" | sha256sum | cut -c1-16)-$extras"
  if [ ! -x "$VENV/bin/python" ] || ! python_ok "$VENV/bin/python"; then
    local python; python="$(find_python)" || exit 1
    say "Creating $VENV with $("$python" --version)"
    rm -rf "$VENV"
    if ! "$python" -m venv "$VENV" 2>/dev/null; then
      # Debian ships venv support separately (python3.X-venv).
      say "Installing Debian's venv support for $python"
      as_root apt-get update -qq
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "python3-venv" >/dev/null
      rm -rf "$VENV"
      "$python" -m venv "$VENV"
    fi
  fi
  if [ "$(cat "$VENV/.envmanager-installed" 2>/dev/null)" != "$stamp" ]; then
    say "Installing dependencies ($spec)"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$spec"
    echo "$stamp" > "$VENV/.envmanager-installed"
  fi
}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

ensure_chromium() {
  [ -x /usr/bin/chromium ] && return 0
  say "Installing Debian's Chromium for the browser tests"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
}

ensure_node() {
  # The sign-on tests run a real OpenID Connect provider (npm's oidc-provider) under Node.js.
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 && return 0
  say "Installing Debian's Node.js and npm for the sign-on tests"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
}
