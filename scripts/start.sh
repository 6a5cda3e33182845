#!/usr/bin/env bash
# npm start: set up, build the wasm variants, serve the dashboard with
# COOP/COEP at http://localhost:${PORT:-5173}/ (Vite dev server).
set -euo pipefail
cd "$(dirname "$0")/.."
port=${PORT:-5173}
# Checked first: a second `npm start` (or a port taken by something else)
# would otherwise set up and rebuild build/wasm, under the dashboard that
# is being served, before Vite found the port taken.
if ! [[ $port =~ ^[0-9]{1,5}$ ]] || ((10#$port < 1 || 10#$port > 65535)); then
  echo "start: PORT must be a port number from 1 to 65535, got \"$port\"" >&2
  exit 2
fi
port=$((10#$port))
command -v node >/dev/null || { echo "start: Node.js >= 20.19 is required (node was not found)" >&2; exit 1; }
if ! node -e 'const s = require("net").createServer();
s.once("error", () => process.exit(1));
s.listen(Number(process.argv[1]), "127.0.0.1", () => s.close());' "$port"; then
  echo "start: port $port is already in use (is the dashboard already running?); stop it, or choose another: PORT=8080 npm start" >&2
  exit 1
fi
bash scripts/setup.sh
bash scripts/build-wasm.sh
echo "ELEX dashboard: http://localhost:$port/"
exec npx vite --port "$port"
