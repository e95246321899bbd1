"""Load tests and benchmarks: the Locust scenario, the wrk HTTP benchmark and the soak run."""
