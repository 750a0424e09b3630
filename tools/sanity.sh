#!/usr/bin/env bash
# ansible-test sanity on the collection, in ansible-test managed venvs (no containers).
# ansible-test resolves symlinks and needs the real path to end in
# ansible_collections/<namespace>/<name>, so it runs on a copy of the files git
# would commit (tracked, and untracked ones not ignored). The copy gets its own
# git repository: under the parent's ignored build/, git would list no files.
# Arguments pass through to ansible-test, e.g. --test validate-modules.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
root=build/sanity/ansible_collections/kafkaops/kraft
# ansible-test skips its shellcheck test, with only a warning, when the program is missing.
command -v shellcheck >/dev/null || { echo "shellcheck is missing: make host-deps" >&2; exit 1; }
python=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')

# ansible-test bootstraps pip in its venvs with a get-pip.py from a host this
# machine cannot reach; it uses a cached copy if there is one, so seed the cache.
pip_version=$(python3 -c 'import types; from ansible_test._internal.python_requirements import get_venv_packages as g
print(g(types.SimpleNamespace(version="'"$python"'"))["pip"])')
get_pip=~/.ansible/test/cache/get_pip_${pip_version//./_}.py
[[ -e $get_pip ]] || install -D -m 0644 tools/ansible-test-get-pip.py "$get_pip"

rm -rf "$root"
mkdir -p "$root"
git ls-files -z --cached --others --exclude-standard \
  | rsync -a --from0 --files-from=- --ignore-missing-args ./ "$root/"
git -C "$root" init -q

cd "$root"
exec ansible-test sanity --venv --python "$python" --color no "$@"
