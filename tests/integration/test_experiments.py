"""The leak study's experiment strategies: verified like any other, and never listed among the recommended."""

from labproject import strategies

EXPERIMENTS = ["iterator_bulk_update_reset", "iterator_bulk_update_kept", "bulk_update_everything"]


def test_every_experiment_updates_every_row_correctly(lab):
    runs = lab.compare("--strategies", ",".join(EXPERIMENTS), "--rows", "3000", "--batch-size", "700")
    assert [(r["strategy"], r["status"], r["rows_verified"], r["rows_wrong"]) for r in runs] == [
        (name, "ok", 3000, 0) for name in EXPERIMENTS
    ]


def test_the_reset_variant_is_verified_with_debug_on(lab):
    (run,) = lab.compare("--strategies", "iterator_bulk_update_reset", "--rows", "2000", "--batch-size", "50",
                         "--debug")
    assert (run["status"], run["spec"]["debug"], run["rows_verified"]) == ("ok", True, 2000)


def test_experiments_are_marked_and_kept_out_of_the_recommended_list():
    recommended = {s.name for s in strategies.all_strategies(experiments=False)}
    for name in EXPERIMENTS:
        found = strategies.get(name)
        assert found.family == "experiment" and found.experiment
        assert name not in recommended
