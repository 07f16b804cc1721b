"""Business metrics as CloudWatch EMF through Powertools Metrics (namespace `linecal`)."""

from __future__ import annotations

import threading

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit


class PowertoolsMeter:
    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics
        # NOTE: workers count from several threads; Powertools' metric set is a plain dict.
        self._lock = threading.Lock()

    def count(self, name: str, value: int = 1) -> None:
        with self._lock:
            self._metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)

    def milliseconds(self, name: str, value: float) -> None:
        with self._lock:
            self._metrics.add_metric(name=name, unit=MetricUnit.Milliseconds, value=value)


class NoMeter:
    """For operator commands, which publish no metrics."""

    def count(self, name: str, value: int = 1) -> None:
        return None

    def milliseconds(self, name: str, value: float) -> None:
        return None
