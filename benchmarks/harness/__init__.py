"""One benchmark harness for every channel: a `rasa run` launcher with generated endpoints and
credentials (`server`), one client per channel (`channels`), the loads (`loads`), the two-replica
measurement (`scaling`), the summaries (`stats`) and the plot (`plot`)."""
