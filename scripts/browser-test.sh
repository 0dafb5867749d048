#!/usr/bin/env bash
# Runs the drawing page's end-to-end test in a real headless Chromium against a release build of ocr-server.
# Installs what is missing (Debian: chromium, chromium-driver; Python: Tests/Browser/requirements.txt),
# builds the release binary, then runs pytest. The test starts the server on a free port and stops it.
# Screenshots go to $OCR_SCREENSHOT_DIR (default: a new temporary folder, printed at the end).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  echo "Installing chromium and chromium-driver"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends chromium chromium-driver
fi

PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c "import selenium, pytest, PIL" >/dev/null 2>&1; then
  echo "Installing the Python requirements"
  "$PYTHON" -m pip install -q -r Tests/Browser/requirements.txt
fi

nice -n 10 swift build -c release --product ocr-server
OCR_SERVER_BIN="$(swift build -c release --show-bin-path)/ocr-server"
export OCR_SERVER_BIN
export OCR_SCREENSHOT_DIR="${OCR_SCREENSHOT_DIR:-$(mktemp -d)}"

status=0
"$PYTHON" -m pytest Tests/Browser -q "$@" || status=$?
echo "Screenshots: $OCR_SCREENSHOT_DIR"
exit "$status"
