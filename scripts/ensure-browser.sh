#!/usr/bin/env bash
# The browser tests (the Meterkastkaart printed, the web chat driven by Playwright) use a real
# headless Chromium from the system, never one Playwright downloads. On CI (CI=true, root,
# Debian/Ubuntu) this installs Debian's `chromium` package when it is missing; anywhere else it
# only says how, and the browser test skips with the same hint. Never fails the run.
set -u
for browser in chromium chromium-browser google-chrome; do
  command -v "$browser" >/dev/null 2>&1 && exit 0
done
if [ "${CI:-}" = "true" ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-browser: installing chromium for the browser tests (CI)"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
    fonts-dejavu-core >/dev/null) || echo "ensure-browser: could not install chromium; its tests will skip"
else
  echo "ensure-browser: no Chromium found; the card's and the web chat's browser tests will skip" \
       "(install it with: sudo apt-get install chromium)"
fi
exit 0
