"""A `serve` process's /metrics read back: one counter's values by one of its labels."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def counts_by_label(exposition: str, counter: str, label: str) -> dict[str, float]:
    """The `counter`'s totals (its `<counter>_total` samples) in a Prometheus text exposition, by `label`."""
    return {
        sample.labels[label]: sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
        if sample.name == f"{counter}_total" and label in sample.labels
    }
