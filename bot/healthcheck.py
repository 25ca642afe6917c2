"""`python -m bot.healthcheck`: exit 0 when the running bot's `/healthz` says ok.

For Docker's HEALTHCHECK and other watchers that cannot make an HTTP request themselves; the
slim image has no curl. Asks ROUTEWIJZER_HEALTH_URL, by default the port the image uses.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

DEFAULT_URL = "http://127.0.0.1:8081/healthz"


def main() -> int:
    url = os.environ.get("ROUTEWIJZER_HEALTH_URL", DEFAULT_URL)
    try:
        with urllib.request.urlopen(url, timeout=4) as response:
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError):
        return 1


if __name__ == "__main__":
    sys.exit(main())
