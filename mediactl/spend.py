"""What the stack has transcribed and about what it cost, from the ledger table's counts of each UTC
day (the completion function adds each job's minutes), and where its daily limit stands.

The minutes are counted up to each transcript's last word: Transcribe bills the whole media, 15
seconds at least per job (Transcribe Developer Guide, "What is Amazon Transcribe?", pricing), so the
price shown is a floor of the bill, not the bill.
"""

import argparse
import time
from dataclasses import dataclass

from transcribe_pipeline.function.daily import DailyCounts, day_of, seconds_to_next_day

# Amazon Transcribe, batch transcription, standard, tier 1 (the first 250,000 minutes of a month),
# US East (N. Virginia). AWS's price page is not readable from where this was written: check it for
# your region and tier, and give yours with --price-per-minute.
PRICE_PER_MINUTE = 0.024
PRICE_SOURCE = "Amazon Transcribe batch, tier 1, US East (N. Virginia), https://aws.amazon.com/transcribe/pricing/, as of 2026-12"


@dataclass
class Spend:
    today: dict
    """Today's counts: started, completed, failed, minutes, and dailyLimit/limitReachedAt once reached."""
    month_minutes: float
    price_per_minute: float
    now: float

    @property
    def today_minutes(self) -> float:
        return self.today.get("minutes", 0.0)

    def price(self, minutes: float) -> str:
        return f"${minutes * self.price_per_minute:,.2f}"

    @property
    def limit_line(self) -> str | None:
        """When the day's limit was reached, and when it lifts; None while it was not."""
        if "limitReachedAt" not in self.today:
            return None
        reached = time.strftime("%H:%M", time.gmtime(self.today["limitReachedAt"]))
        left = int(seconds_to_next_day(self.now))
        return (f"{int(self.today.get('dailyLimit', 0)):,} jobs started by {reached} UTC: uploads wait in the queue until"
                f" 00:00 UTC (in {left // 3600}h {left % 3600 // 60:02d}m), or raise maxJobsPerDay and `pulumi up`")  # fmt: skip


def spend_of(dynamodb, table: str, price_per_minute: float, now: float | None = None) -> Spend:
    now = time.time() if now is None else now
    today = day_of(now)
    days = DailyCounts(dynamodb, table).days(today[:8] + "01", today)
    return Spend(
        today=days.get(today, {}),
        month_minutes=sum(day.get("minutes", 0.0) for day in days.values()),
        price_per_minute=price_per_minute,
        now=now,
    )


def price_per_minute(text: str) -> float:
    """`--price-per-minute`: US dollars, 0 or more."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a price in US dollars per minute, such as 0.024")
    return value
