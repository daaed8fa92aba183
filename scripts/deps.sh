#!/bin/sh
# Installs the Debian packages ablate needs (as root), or prints the exact
# apt command to run (not root).  Quiet when everything is present.
PKGS="build-essential pkg-config liblua5.4-dev libopenblas-dev libcsv-dev gnuplot-nox libyaml-dev libjansson-dev libcriterion-dev libdnnl-dev"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "ablate: missing packages:$missing" >&2
    echo "run:  sudo apt-get update && sudo apt-get install -y$missing" >&2
    exit 1
fi
echo "ablate: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing
