"""StallWatch: when the producer counts as wedged (apps/kafkaops_apps/producer/stall.py)."""

from kafkaops_apps.producer.stall import StallWatch


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_failures_for_longer_than_the_window_are_a_stall():
    clock = Clock()
    watch = StallWatch(10, clock)
    for _failure in range(6):
        watch.failed()
        assert not watch.wedged()
        clock.now += 2
    watch.failed()
    assert watch.wedged()


def test_successes_in_between_do_not_clear_it():
    # Partial recovery: some partitions answer, others keep timing out.
    clock = Clock()
    watch = StallWatch(10, clock)
    for _failure in range(7):
        watch.failed()
        clock.now += 2
    assert watch.wedged()


def test_a_quiet_window_clears_it():
    clock = Clock()
    watch = StallWatch(10, clock)
    watch.failed()
    clock.now += 9
    watch.failed()
    clock.now += 10.5
    assert not watch.wedged()
    clock.now += 1
    watch.failed()
    assert not watch.wedged()


def test_one_failure_never_is_a_stall():
    clock = Clock()
    watch = StallWatch(10, clock)
    watch.failed()
    clock.now += 30
    assert not watch.wedged()
