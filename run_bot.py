"""Start Routewijzer: Telegram when TELEGRAM_BOT_TOKEN is set, else the terminal chat.

python run_bot.py              # Telegram (token set) or terminal chat
python run_bot.py chat         # terminal chat
python run_bot.py web          # web chat on http://127.0.0.1:8080/
python run_bot.py check        # validate the knowledge base
python run_bot.py match "..."  # which services a question reaches
"""

import sys

from bot.cli import main

if __name__ == "__main__":
    sys.exit(main())
