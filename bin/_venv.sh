# Shared by bin/run and bin/test: create .venv and (re)install when pyproject.toml changes.
ensure_venv() {
  local extras="$1"
  local stamp=".venv/.installed${extras:+-$extras}"
  if [ ! -x .venv/bin/python ]; then
    "${PYTHON:-python3}" -m venv .venv
  fi
  # The C module (warehouse/_spanrows.c) is rebuilt by the install too: when its source changes or it is missing.
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ warehouse/_spanrows.c -nt "$stamp" ] \
     || ! compgen -G "warehouse/_spanrows*.so" >/dev/null; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e ".${extras:+[$extras]}"
    touch "$stamp"
  fi
}
