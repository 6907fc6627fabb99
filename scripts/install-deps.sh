#!/usr/bin/env bash
# Installs the Debian packages Ballast builds and tests with, only those that are missing.
# A no-op (one dpkg-query) when everything is present. Nothing else is ever downloaded.
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config ccache
  clang-14 libfuzzer-14-dev libclang-rt-14-dev
  libgtest-dev libgmock-dev libbenchmark-dev librapidcheck-dev libquantlib0-dev
  libsqlite3-dev libssl-dev nlohmann-json3-dev libcli11-dev librandom123-dev libtomlplusplus-dev libboost-dev
  python3-numpy
)

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
  [[ "$status" == "installed" ]] || missing+=("$package")
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
