#!/usr/bin/env bash
# Brings up what Leadd needs on this machine: PostgreSQL and Redis where
# none answers (installed from the OS packages where missing), the demo
# database, and with --test the parts the test suite drives (Chromium).
set -euo pipefail
PG_HOST=127.0.0.1 PG_PORT=5432
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=""
apt_install() {
  [ -n "$apt_updated" ] || { as_root apt-get update -qq; apt_updated=1; }
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# PostgreSQL
if ! pg_isready -q -h $PG_HOST -p $PG_PORT 2>/dev/null; then
  command -v pg_ctlcluster >/dev/null || { echo "installing PostgreSQL"; apt_install postgresql; }
  ver=$(ls /etc/postgresql 2>/dev/null | sort -n | tail -n1)
  [ -n "$ver" ] || { echo "no PostgreSQL cluster found" >&2; exit 1; }
  conf=/etc/postgresql/$ver/main
  # Local trust auth, as on the development machines.
  if ! grep -q '^host all all 127.0.0.1/32 trust' "$conf/pg_hba.conf"; then
    as_root sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\nlocal all all trust' "$conf/pg_hba.conf"
  fi
  as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
  for _ in $(seq 1 30); do pg_isready -q -h $PG_HOST -p $PG_PORT && break; sleep 1; done
  pg_isready -h $PG_HOST -p $PG_PORT
fi
if [ "${1:-}" != --test ]; then
  db=$(python3 -c 'import sys,urllib.parse as u;print(u.urlparse(sys.argv[1]).path.lstrip("/"))' "${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/leadd}" 2>/dev/null || echo leadd)
  if ! psql -h $PG_HOST -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" postgres | grep -q 1; then
    psql -h $PG_HOST -U postgres -qc "CREATE DATABASE \"$db\"" postgres && echo "created database $db"
  fi
fi

# Redis
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  command -v redis-server >/dev/null || { echo "installing Redis"; apt_install redis-server; }
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no
  for _ in $(seq 1 30); do redis-cli ping >/dev/null 2>&1 && break; sleep 0.5; done
fi

# What only the tests drive.
if [ "${1:-}" = --test ]; then
  command -v chromium >/dev/null || { echo "installing Chromium"; apt_install chromium; }
  # A real IMAP server for the mail adapter's tests (started by the tests).
  command -v dovecot >/dev/null || [ -x /usr/sbin/dovecot ] || { echo "installing Dovecot"; apt_install dovecot-imapd; }
  # Readers of the documents Leadd writes: PDF text and images, QR codes.
  command -v pdftotext >/dev/null && command -v pdftoppm >/dev/null || { echo "installing poppler-utils"; apt_install poppler-utils; }
  command -v zbarimg >/dev/null || { echo "installing zbar-tools"; apt_install zbar-tools; }
fi
exit 0
