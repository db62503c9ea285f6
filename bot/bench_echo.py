"""The reference for `phananh bench pipeline`: a bare python-telegram-bot echo bot.

Run as its own process (`python -m bot.bench_echo --api URL --token T`): PTB's
own Updater polling, one MessageHandler, `reply_text` — what a minimal PTB bot
costs per message on this machine, against the same fake Bot API.
"""
from __future__ import annotations

import argparse
import sys

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

from bot.channels.telegram import api_urls


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is not None and message.text:
        await message.reply_text(message.text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api", required=True, help="TELEGRAM_API_BASE_URL of the fake")
    parser.add_argument("--token", required=True)
    args = parser.parse_args(argv)
    api, files = api_urls(args.api)
    app = ApplicationBuilder().token(args.token).base_url(api).base_file_url(files).build()
    app.add_handler(MessageHandler(filters.TEXT, _echo))
    app.run_polling(poll_interval=0, timeout=10, allowed_updates=["message"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
