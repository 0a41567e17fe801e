from cctv_operator.runtimes.local.restart_policy import RestartPolicy


def test_first_start_does_not_wait():
    assert RestartPolicy().delay(0) == 0.0


def test_delay_doubles_with_each_consecutive_failure_up_to_the_cap():
    policy = RestartPolicy(initial_delay=1.0, max_delay=10.0)
    assert [policy.delay(n) for n in range(1, 7)] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


def test_a_worker_that_crashes_at_once_keeps_counting_failures():
    policy = RestartPolicy(stable_after=60.0)
    assert policy.failures_after_exit(3, ran_for=0.5) == 4


def test_a_worker_that_ran_long_enough_is_forgiven_its_earlier_failures():
    policy = RestartPolicy(stable_after=60.0)
    assert policy.failures_after_exit(7, ran_for=61.0) == 1
