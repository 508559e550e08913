#!/usr/bin/env bash
# Installs the Debian packages the SSH, fault and real-VS-Code tests need, when they are missing.
# Run as root (CI is root). Prints what it would install otherwise.
set -euo pipefail
pkgs=(openssh-server openssh-client rsync pssh iproute2 procps gcc libc6-dev chromium libkrb5-dev pkg-config ripgrep git ca-certificates python3)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "Missing Debian packages: ${missing[*]}" >&2
  echo "Install them with: sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
