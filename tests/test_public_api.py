"""The public API: what `import fundopt` offers, kept tidy."""

import pytest

import fundopt as fo


def test_all_is_sorted_and_every_name_exists():
    assert fo.__all__ == sorted(fo.__all__)
    for name in fo.__all__:
        assert hasattr(fo, name), name


def test_the_quick_start_names_are_there():
    for name in ("read_workbook", "solve", "write_workbook", "verify", "FundingProblem", "Plan"):
        assert name in fo.__all__


def test_plans_and_errors_cross_processes():
    # process pools, Dask workers and joblib caches pickle them: a read-only mapping
    # (objective_terms, a diagnosis's times) or an error's own arguments must not stop that
    import pickle

    from builders import M, frame, tiny

    problem = tiny()
    plan = fo.solve(problem)
    again = pickle.loads(pickle.dumps(plan))
    assert again.fingerprint == plan.fingerprint and again.objective == plan.objective
    assert dict(again.objective_terms) == dict(plan.objective_terms)
    with pytest.raises(TypeError):
        again.objective_terms["value"] = 0.0  # type: ignore[index]
    short = tiny(limits=frame(recipient=["a", "b"], floor_amount=[900 * M, 900 * M]))
    with pytest.raises(fo.InfeasibleError) as infeasible:
        fo.solve(short)
    with pytest.raises(fo.InputError) as bad:
        problem.replace(envelopes=problem.envelopes.assign(amount=-1.0))
    for error in (infeasible.value, bad.value):
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error) and str(copy) == str(error)
        assert copy.code == error.code
    assert pickle.loads(pickle.dumps(bad.value)).issues == bad.value.issues
    diagnosis = infeasible.value.diagnosis
    assert diagnosis is not None
    assert pickle.loads(pickle.dumps(diagnosis)).text == diagnosis.text
    assert pickle.loads(pickle.dumps(infeasible.value)).diagnosis.text == diagnosis.text
