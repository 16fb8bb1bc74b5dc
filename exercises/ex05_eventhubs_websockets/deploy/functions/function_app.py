"""The generator as an Azure Function (Python v2 programming model): a timer trigger every 10 s sends
a batch of readings through an Event Hubs output binding.

The binding's `connection` names an app setting holding the namespace connection string
(EVENTHUBS_CONNECTION); `event_hub_name` is the hub, from the app setting EVENTHUB_NAME. Each
reading is one event: the binding sends a list as a batch. Readings are stamped with the event time
they were made (a little in the past, as from a buffering sensor), in the JSON the broadcaster parses.
The Functions host sends over AMQP: the hub is the same one the broadcaster reads over Kafka.
"""

from __future__ import annotations

import json
import logging
import os
import random
import time

import azure.functions as func

app = func.FunctionApp()
SOURCES = ("sensor-a", "sensor-b", "sensor-c", "sensor-d")
_levels = {name: 20.0 + 5 * i for i, name in enumerate(SOURCES)}


def batch(count: int, now_ms: int, period_ms: int, disorder_ms: int = 300) -> list[str]:
    """`count` readings spread over the last `period_ms`, round-robin over the sources."""
    out: list[str] = []
    for i in range(count):
        name = SOURCES[i % len(SOURCES)]
        _levels[name] += random.gauss(0, 0.5)
        sent_ms = now_ms - period_ms + int(i * period_ms / max(1, count))
        out.append(json.dumps({"source": name, "time_ms": max(0, sent_ms - random.randint(0, disorder_ms)),
                               "value": round(_levels[name], 3)}, separators=(",", ":")))
    return out


@app.timer_trigger(schedule="*/10 * * * * *", arg_name="timer", run_on_startup=False)
@app.event_hub_output(arg_name="readings", event_hub_name="%EVENTHUB_NAME%",
                      connection="EVENTHUBS_CONNECTION")
def generate(timer: func.TimerRequest, readings: func.Out[list[str]]) -> None:
    rate = float(os.environ.get("READINGS_PER_SECOND", "20"))
    events = batch(int(rate * 10), int(time.time() * 1000), 10_000)
    readings.set(events)
    logging.info("sent %d readings%s", len(events), " (late timer)" if timer.past_due else "")
