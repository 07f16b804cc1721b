"""The committed event catalog is the one the code and the template describe."""

from __future__ import annotations

from linecal import catalog


def test_committed_catalog_matches_the_models_and_rules() -> None:
    committed = catalog.current_section(catalog.SPECIFICATION.read_text(encoding="utf-8"))

    assert committed == catalog.render(), (
        "docs/api-specification.md is stale: run `linecal docs event-catalog --write`"
    )


def test_every_event_that_is_published_is_consumed_somewhere() -> None:
    consumed = catalog.consumers()
    produced = catalog.producers()

    unrouted = [name for name, who in produced.items() if who and not consumed[name]]
    # CalendarSubscriptionRejected is told to the user directly by its producer.
    assert set(unrouted) <= {"CalendarSubscriptionRejected"}
