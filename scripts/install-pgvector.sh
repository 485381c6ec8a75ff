#!/usr/bin/env bash
# Builds and installs pgvector for the machine's PostgreSQL 15 from Debian's source package.
# Does nothing when the extension is already installed. Must run as root.
set -euo pipefail

PG_MAJOR=${PG_MAJOR:-15}
PG_CONFIG=/usr/lib/postgresql/${PG_MAJOR}/bin/pg_config

if [ -f "/usr/share/postgresql/${PG_MAJOR}/extension/vector.control" ]; then
  echo "pgvector already installed"
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "postgresql-server-dev-${PG_MAJOR}" build-essential >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial"
cd "$work"
# Debian's newer release ships pgvector as a source package; reuse the configured mirror.
uri=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources)
echo "deb-src $uri trixie main" > sources.list
o=(-o "Dir::Etc::sourcelist=$work/sources.list" -o "Dir::Etc::sourceparts=-" -o "Dir::State::Lists=$work/lists")
apt-get "${o[@]}" update -qq
apt-get "${o[@]}" source --download-only pgvector >/dev/null
tar xzf pgvector_*.orig.tar.gz
cd pgvector-*/
make -s PG_CONFIG="$PG_CONFIG" >/dev/null
make -s install PG_CONFIG="$PG_CONFIG" >/dev/null
echo "pgvector installed"
